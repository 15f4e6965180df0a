"""The page where a signed-in user sees their API tokens and revokes them."""
from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access.permissions import permission_required

from app.api import pages_bp as bp, tokens
from app.auth.forms import ConfirmForm
from app.views_util import attempt


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
        attempt(tokens.revoke, current_user, token_id, done=_("The token has been revoked."))
    return redirect(url_for("api_pages.token_list"))
