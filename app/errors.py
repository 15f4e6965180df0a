"""Domain exceptions raised by services, and the friendly error pages."""
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A business rule refused the request; the message is shown to the user as it is."""

    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    """The user may not do this, though the thing exists in their scope."""

    status = 403


class Conflict(DomainError):
    """The request conflicts with what is already recorded (a duplicate, a second reversal...)."""

    status = 409


class InvalidInput(DomainError):
    """Input that passed the form's shape checks but makes no sense (an unknown grid...)."""

    status = 400


class InsufficientPoints(DomainError):
    """A redemption asked for more points than the household's balance holds."""

    status = 422


def _login_again(message: str) -> str:
    """The sign-in page itself, with the rate-limit message, so the user knows what to do."""
    from app.auth.forms import LoginForm

    form = LoginForm(formdata=None, username=request.form.get("username", "")[:64])
    return render_template("auth/login.html", form=form, limit_message=message)


def register(app: Flask) -> None:
    """Render 403, 404, 429 and 500 as pages (or JSON under /api)."""

    def page(status: int, title: str, message: str):
        if request.path.startswith("/api/"):
            return jsonify(error={"code": status, "message": message}), status
        return render_template("errors/error.html", status=status, title=title,
                               message=message), status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
            403: (_("Not allowed"), _("Your account may not open this page.")),
            404: (_("Not found"), _("This page does not exist, or it is not in your area.")),
            405: (_("Not allowed"), _("This address does not accept that kind of request.")),
            413: (_("File too large"), _("The file is too large. Please choose a smaller one.")),
            429: (_("Too many attempts"), _("Too many attempts. Please wait a few minutes and try again.")),
        }
        title, message = messages.get(error.code, (_("Error"), _("Something went wrong.")))
        if error.code == 429 and request.endpoint == "auth.login":
            return _login_again(message), 429
        return page(error.code or 500, title, message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return page(400, _("Please try again"),
                    _("This form was open too long or sent twice. Please reload the page and try again."))

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("Unhandled error")
        from app.extensions import db

        db.session.rollback()
        return page(500, _("Something went wrong"),
                    _("Something went wrong on our side. Nothing was saved. Please try again later."))
