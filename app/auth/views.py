"""Sign-in, sign-out, own password and language."""
from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.access.permissions import permission_required
from app.auth import bp, services, throttle
from app.auth.sessions import start_session
from app.auth.forms import LanguageForm, LoginForm, PasswordForm
from app.errors import with_error_headers
from app.views_util import attempt, safe_next


@bp.route("/login", methods=["GET", "POST"])
@throttle.limited
def login():
    """Sign in with username and password, then go to `next` or the role's home."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "danger")
        else:
            start_session(user, bool(form.remember.data) and services.may_remember(user))
            if user.must_change_password:
                flash(_("Your password was set by someone else: choose your own now."), "warning")
                return redirect(url_for("auth.password"))
            return redirect(safe_next(form.next.data) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.errorhandler(429)
def too_many_attempts(error):
    """The sign-in page itself with the rate-limit message, so the user knows what to do (the
    sign-in is the only page of this blueprint with a limit)."""
    form = LoginForm(formdata=None, username=request.form.get("username", "")[:64])
    page = render_template("auth/login.html", form=form,
                           limit_message=_("Too many attempts. Please wait a few minutes and try again."))
    return with_error_headers(make_response(page, 429), error)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out everywhere (POST only, with a CSRF token, so a link cannot sign anyone out)."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
    language = session.get("language")
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    if language:
        session["language"] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@permission_required("account.own")
def password():
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        if attempt(services.change_password, current_user, form.current.data, form.new.data):
            # Every other session has ended; this one goes on with the new version.
            start_session(current_user._get_current_object(), remember=session.permanent)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/language", methods=["POST"])
def language():
    """Switch the language; remembered on the account, or in the session before sign-in."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        services.set_language(current_user if current_user.is_authenticated else None,
                              form.language.data)
    return redirect(safe_next(form.next.data) or url_for("main.index"))
