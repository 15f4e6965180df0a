"""Forms of the register import: the upload and the confirmation (shape checks only)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired, Regexp

from app.spreadsheets.pending import TOKEN_PATTERN


class ImportForm(FlaskForm):
    """Upload an .xlsx or .csv household list for a preview."""

    file = FileField(_l("Household list (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], message=_l(
            "Only .xlsx and .csv files can be imported. Open the file in Excel or WPS and "
            "save it as .xlsx (Excel workbook), then upload it again.")),
    ])
    submit = SubmitField(_l("Check the file"))


class ConfirmImportForm(FlaskForm):
    """Confirm a previewed import, named by the token of its server-side copy."""

    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_PATTERN)])
    create_grids = BooleanField(_l("Create these grids"))
    submit = SubmitField(_l("Import all rows"))
