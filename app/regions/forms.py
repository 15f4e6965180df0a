"""Forms of the region pages (shape checks only)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.households.io.forms import ConfirmImportForm  # noqa: F401 (the same token form)
from app.views_util import form_id


class TreeImportForm(FlaskForm):
    """Upload an .xlsx or .csv list of division codes and names for a preview."""

    file = FileField(_l("List of places (.xlsx or .csv)"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], message=_l(
            "Only .xlsx and .csv files can be imported. Open the file in Excel or WPS and "
            "save it as .xlsx (Excel workbook), then upload it again.")),
    ])
    submit = SubmitField(_l("Check the file"))


class RegionNameForm(FlaskForm):
    """Rename a place."""

    name = StringField(_l("Name of the place"), validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Rename"))


class AddRegionForm(FlaskForm):
    """Add a place under this one, with its division code if known."""

    name = StringField(_l("Name of the place"), validators=[DataRequired(), Length(max=64)])
    code = StringField(_l("Division code (12 digits, optional)"), validators=[
        Optional(), Length(max=24)])
    submit = SubmitField(_l("Add"))


class MoveForm(FlaskForm):
    """Put a village under another township; the choices are filled by the view."""

    township_id = SelectField(_l("New township"), coerce=form_id, validators=[DataRequired()])
    code = StringField(_l("New division code (12 digits)"), validators=[Optional(), Length(max=24)])
    submit = SubmitField(_l("Move"))


class MergeForm(FlaskForm):
    """Merge this village into another one (撤并); the choices are filled by the view."""

    survivor_id = SelectField(_l("Merge into"), coerce=form_id, validators=[DataRequired()])
    confirm = BooleanField(_l("I understand: its households, grids and accounts move to the other "
                              "village, and this one is kept only as history."),
                           validators=[DataRequired()])
    submit = SubmitField(_l("Merge"))


class PublishTemplateForm(FlaskForm):
    """Publish a village's rulebook as this place's template; the choices are filled by the view."""

    village_id = SelectField(_l("Rulebook of"), coerce=form_id, validators=[DataRequired()])
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Publish the template"))
