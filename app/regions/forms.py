"""Forms of the region pages (shape checks only)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField

from app.households.import_forms import ConfirmImportForm  # noqa: F401 (the same token form)


class TreeImportForm(FlaskForm):
    """Upload an .xlsx or .csv list of division codes and names for a preview."""

    file = FileField(_l("List of places (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], message=_l(
            "Only .xlsx and .csv files can be imported. Open the file in Excel or WPS and "
            "save it as .xlsx (Excel workbook), then upload it again.")),
    ])
    submit = SubmitField(_l("Check the file"))
