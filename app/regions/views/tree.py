"""Import of the region tree (preview, then all or nothing) and its export, as pages."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.regions import bp, tree_export, tree_import
from app.regions.forms import ConfirmImportForm, TreeImportForm
from app.spreadsheets import write
from app.spreadsheets.read import MAX_BYTES
from app.views_util import attempt


def _page(form, plan=None, status=200):
    confirm = ConfirmImportForm(token=plan.token) if plan and plan.can_confirm else None
    return render_template("regions/import.html", form=form, plan=plan, confirm=confirm), status


@bp.route("/import", methods=["GET", "POST"])
@permission_required("regions.import")
def import_tree():
    """Upload a list of division codes and see what it would add, rename, or why it cannot."""
    form = TreeImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        plan = attempt(tree_import.preview_upload, upload.filename or "", upload.read(MAX_BYTES + 1),
                       current_user, field=form.file)
        if plan:
            return _page(TreeImportForm(formdata=None), plan.value)
    return _page(form)


@bp.route("/import/confirm", methods=["POST"])
@permission_required("regions.import")
def confirm_tree():
    """Write a previewed file in one transaction, or nothing."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("This import has expired or was already done. Upload the file again."), "danger")
        return redirect(url_for(".import_tree"))
    done = attempt(tree_import.confirm, form.token.data, current_user, done=lambda plan: _(
        "Region tree imported: %(new)d added, %(renamed)d renamed.", new=len(plan.new),
        renamed=len(plan.renamed)))
    if isinstance(done.error, tree_import.TreeRefused):
        return _page(TreeImportForm(formdata=None), done.error.plan, done.status)
    return redirect(url_for(".overview") if done else url_for(".import_tree"))


@bp.route("/export.xlsx")
@permission_required("regions.export")
def export_tree():
    """Every region the user may see, with codes, as an Excel workbook."""
    book = tree_export.tree_workbook(scope.regions_query(current_user))
    return write.xlsx_response(book, 'attachment; filename="regions.xlsx"')
