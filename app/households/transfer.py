"""Register import (.xlsx/.csv with a preview) and export (.xlsx)."""
from flask import abort

from app.decorators import roles_required
from app.households import bp
from app.models import Role


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.COMMITTEE, Role.ADMIN)
def import_register():
    """Placeholder until the importer lands."""
    abort(404)


@bp.route("/export.xlsx")
@roles_required(Role.COMMITTEE, Role.ADMIN, Role.OFFICIAL)
def export_register():
    """Placeholder until the exporter lands."""
    abort(404)
