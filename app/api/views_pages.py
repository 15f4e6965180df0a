"""The page where a signed-in user sees their API tokens and revokes them."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access.permissions import permission_required

from app.api import pages_bp as bp, tokens
from app.errors import DomainError
from app.households.forms import ConfirmForm


@bp.route("/tokens")
@permission_required("api.tokens")
def token_list():
    """The account's live API tokens: where from, when made, last used, when they expire."""
    return render_template("api/tokens.html", tokens=tokens.tokens_of(current_user), form=ConfirmForm())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@permission_required("api.tokens")
def token_revoke(token_id: int):
    """Sign one program out."""
    if ConfirmForm().validate_on_submit():
        try:
            tokens.revoke(current_user, token_id)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("The token has been revoked."), "success")
    return redirect(url_for("api_pages.token_list"))
