"""The signed-in account's notifications."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access.permissions import permission_required
from app.events import text_of
from app.auth.forms import ConfirmForm
from app.notifications import bp, services


@bp.route("/notifications")
@permission_required("account.own")
def index():
    """Newest first, unread ones marked; a button marks them all read."""
    page = services.page_for(current_user, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("notifications/index.html", page=page, text_of=text_of, form=ConfirmForm())


@bp.route("/notifications/read", methods=["POST"])
@permission_required("account.own")
def mark_read():
    """Mark every notification read."""
    if ConfirmForm().validate_on_submit():
        count = services.mark_all_read(current_user)
        flash(_("%(count)d notification(s) marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))
