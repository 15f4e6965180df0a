"""Register import (.xlsx/.csv with a preview, then all or nothing) and export (.xlsx)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.views_util import attempt, managed_village, readable_village
from app.households import bp
from app.households.io import exporter, importer
from app.households.io.forms import ConfirmImportForm, ImportForm
from app.spreadsheets.read import MAX_BYTES
from app.spreadsheets.write import xlsx_response


def _page(village, form, preview=None, status=200):
    confirm = ConfirmImportForm(formdata=None, token=preview.token) \
        if preview and preview.can_confirm else None
    return render_template("households/import.html", village=village, form=form,
                           preview=preview, confirm=confirm), status


@bp.route("/import", methods=["GET", "POST"])
@permission_required("households.manage")
def import_register():
    """Upload a household list and see every bad row; nothing is written here."""
    village = managed_village()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        preview = attempt(importer.preview_upload, village, upload.filename or "",
                          upload.read(MAX_BYTES + 1), current_user, field=form.file)
        if preview:
            return _page(village, ImportForm(formdata=None), preview.value)
    return _page(village, form)


@bp.route("/import/confirm", methods=["POST"])
@permission_required("households.manage")
def confirm_import():
    """Import every previewed row in one transaction, or none."""
    village = managed_village()
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("This import has expired or was already done. Upload the file again."), "danger")
        return redirect(url_for(".import_register", village=village.id))
    done = attempt(importer.confirm_import, village, form.token.data, current_user,
                   create_grids=form.create_grids.data, done=lambda count: ngettext(
                       "%(num)d household imported.", "%(num)d households imported.", count))
    if isinstance(done.error, importer.ImportRefused):
        return _page(village, ImportForm(formdata=None), done.error.preview, done.status)
    return redirect(url_for(".register" if done else ".import_register", village=village.id))


@bp.route("/import/template.xlsx")
@permission_required("households.manage")
def import_template():
    """An empty household list with the Chinese headers and one example row."""
    village = managed_village()
    return xlsx_response(exporter.template_workbook(village),
                 exporter.download_name(village, _("import template")))


@bp.route("/export.xlsx")
@permission_required("households.export")
def export_register():
    """The whole village register (active and inactive) as an Excel workbook."""
    village = readable_village()
    book = exporter.register_workbook(village, scope.households_query(current_user))
    return xlsx_response(book, exporter.download_name(village, _("households")))

