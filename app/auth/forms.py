"""Sign-in and password forms: shape checks only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from app.i18n import LANGUAGE_NAMES


def username_field() -> StringField:
    """A new account's username: the same shape wherever an account is made."""
    return StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Use letters, digits, dots, dashes and underscores.")),
    ])


def new_password_field(label=_l("Password")) -> PasswordField:
    """A password someone sets (a new account's, a reset, one's own change): 8 to 128 characters."""
    return PasswordField(label, validators=[DataRequired(), Length(min=8, max=128)],
                         render_kw={"autocomplete": "new-password"})


class LoginForm(FlaskForm):
    """Username and password; `next` is checked by the view."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this phone"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)],
                            render_kw={"autocomplete": "current-password"})
    new = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    """The language switch in the page footer."""

    language = SelectField(choices=list(LANGUAGE_NAMES.items()))
    next = HiddenField()


class LogoutForm(FlaskForm):
    """An empty form, so signing out is a POST with a CSRF token."""


class ResetForm(FlaskForm):
    """Set a new password for an account the committee manages."""

    password = new_password_field(_l("New password"))
    submit = SubmitField(_l("Reset password"))


class ConfirmForm(FlaskForm):
    """A confirmation button with a CSRF token."""

    submit = SubmitField(_l("Confirm"))
