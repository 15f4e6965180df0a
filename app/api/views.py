"""API calls about the caller: signing in and out, who am I, notifications; and the API's document."""
from flask import g, jsonify, render_template, request

from app.api import bp, schemas, tokens
from app.api.openapi import document
from app.api.spec import BadRequest, operation, require_cursor
from app.errors import DomainError, json_error
from app.events import text_of
from app.auth import throttle
from app.extensions import db, login
from app.health.requestlog import request_id
from app.models import Notification
from app.notifications import services as notifications
from app.pagination import decode_cursor


@bp.before_request
def no_session_user():
    """Session cookies never authenticate an API call: whatever asks for current_user gets nobody."""
    g._login_user = login.anonymous_user()


@operation(bp, "POST", "/tokens", "Sign in", body=schemas.TokenIn,
           responses={201: schemas.TokenOut}, errors=(401, 429), auth=False,
           limits=(throttle.limited,))
def create_token(body: schemas.TokenIn):
    """Exchange a username and password for a bearer token (failed attempts are limited per
    username and per address, as on the sign-in page)."""
    label = request.headers.get("User-Agent", "")
    token, record = tokens.issue(body.username, body.password, label)
    return schemas.TokenOut(token=token, expires_at=record.expires_at), 201


@operation(bp, "DELETE", "/tokens/current", "Sign out", responses={204: None})
def delete_current_token(actor):
    """Revoke the token this request was sent with."""
    tokens.revoke(actor, g.api_token.id)
    return "", 204


@operation(bp, "GET", "/me", "The signed-in account", responses={200: schemas.MeOut})
def me(actor):
    """Who the token belongs to and where."""
    return schemas.MeOut(username=actor.username, role=actor.role, household_id=actor.household_id,
                         village_id=actor.village_id, shop_id=actor.shop_id), 200


@operation(bp, "GET", "/notifications", "The account's notifications", query=schemas.PageQuery,
           responses={200: schemas.NotificationsPage})
def notifications_list(actor, query: schemas.PageQuery):
    """Newest first, a keyset page at a time; texts in the request's language."""
    require_cursor(query.before, decode_cursor(query.before, 1, [Notification.id]))
    page = notifications.page_for(actor, query.before, query.limit)
    items = [schemas.NotificationOut(id=n.id, kind=n.kind, text=text_of(n), created_at=n.created_at,
                                     read=n.read_at is not None) for n in page.items]
    return schemas.NotificationsPage(notifications=items, next=page.next_cursor), 200


@bp.route("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.route("/docs")
def docs():
    """A readable page of the API for developers, drawn from the OpenAPI document by our own script."""
    return render_template("api/docs.html")


@bp.errorhandler(BadRequest)
def bad_request(error: BadRequest):
    """400 with the offending field named, so a program can point at it (413 for a body too large)."""
    db.session.rollback()
    return jsonify(error={"code": error.code, "message": error.message, "field": error.field,
                          "request_id": request_id()}), error.status


@bp.errorhandler(DomainError)
def refused(error: DomainError):
    """A service's refusal, with the status its class gives it (pages answer the same): an
    InvalidInput (well-formed, but no such rule...) is 422; 400 means only a request that does
    not fit the document."""
    db.session.rollback()
    return json_error(error.status, error.code, error.message)
