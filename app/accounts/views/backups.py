"""The administrator's backups: the list, a backup made now, and downloads (README "Backups")."""
from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import bp
from app.access.permissions import permission_required
from app.backup import BackupError, services
from app.errors import NotFound
from app.auth.forms import ConfirmForm


@bp.route("/backups")
@permission_required("backups.admin")
def backups():
    """Every backup in BACKUP_DIR with its manifest's figures, and a button to make one now."""
    return render_template("accounts/backups.html", backups=services.overview(), form=ConfirmForm(),
                           keep_daily=current_app.config["BACKUP_KEEP_DAILY"],
                           keep_monthly=current_app.config["BACKUP_KEEP_MONTHLY"])


@bp.route("/backups", methods=["POST"])
@permission_required("backups.admin")
def backup_now():
    """Make a backup now (after the page's confirmation)."""
    if ConfirmForm().validate_on_submit():
        try:
            path = services.make_now(current_user)
        except BackupError as error:
            flash(error.message, "danger")
        else:
            flash(_("Backup %(name)s made.", name=path.name), "success")
    return redirect(url_for(".backups"))


@bp.route("/backups/<name>", methods=["POST"])
@permission_required("backups.admin")
def backup_download(name: str):
    """Download one backup: a POST with the page's token, recorded in the audit log."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".backups"))
    try:
        path = services.for_download(name, current_user)
    except NotFound:
        abort(404)
    response = send_file(path, as_attachment=True, download_name=path.name,
                         mimetype="application/octet-stream")
    response.headers["Cache-Control"] = "no-store"
    return response
