"""Forms of the meeting pages. Shape checks only; the services decide the rest."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.dates import Plausible
from app.models.meeting import FORMATS
from app.views_util import form_id

LEVELS = [(4, _l("Village")), (3, _l("Township")), (2, _l("County")), (1, _l("City"))]


class PlanForm(FlaskForm):
    """Plan a meeting; the village choices are filled by the view."""

    village_id = SelectField(_l("Village"), coerce=form_id)
    format = SelectField(_l("Format"), choices=FORMATS)
    topic = StringField(_l("Topic"), validators=[
        DataRequired(message=_l("A meeting needs a topic.")), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(message=_l("Give the date and time.")),
        Plausible(past=timedelta(days=1), with_time=True)])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    host1 = StringField(_l("Host"), validators=[Optional(), Length(max=64)])
    level1 = SelectField(_l("Level"), choices=LEVELS, coerce=int)
    host2 = StringField(_l("Host"), validators=[Optional(), Length(max=64)])
    level2 = SelectField(_l("Level"), choices=LEVELS, coerce=int)
    host3 = StringField(_l("Host"), validators=[Optional(), Length(max=64)])
    level3 = SelectField(_l("Level"), choices=LEVELS, coerce=int)
    submit = SubmitField(_l("Plan meeting"))

    def hosts(self) -> list[tuple[str, int]]:
        """The named hosts with their levels."""
        return [(n.data, l.data) for n, l in ((self.host1, self.level1), (self.host2, self.level2),
                                             (self.host3, self.level3)) if (n.data or "").strip()]


class CloseForm(FlaskForm):
    """Close a meeting, with its minutes."""

    minutes = TextAreaField(_l("Minutes"), validators=[Length(max=4000)])
    photo = FileField(_l("Photo (optional)"))
    submit = SubmitField(_l("Close meeting and award attendance points"))


class ButtonForm(FlaskForm):
    """A button with a CSRF token (open, award remaining)."""

    submit = SubmitField(_l("Confirm"))


class CheckInForm(FlaskForm):
    """The one tap that checks a household in; the ticket comes from a fresh scan."""

    ticket = HiddenField()
    submit = SubmitField(_l("Check in"))
