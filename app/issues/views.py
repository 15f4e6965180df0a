"""Issue pages: raise, lists (mine, the village's public ones, a region's, assigned to me), one
issue with its timeline and the actions the user may take. Thin views over services and reads."""
from flask import (abort, current_app, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions
from app.access.permissions import permission_required
from app.issues import bp, reads, services
from app.issues.forms import (CATEGORIES, KINDS, AssignForm, ButtonForm, ConfirmIssueForm,
                              NoteForm, RaiseForm, SettingsForm)
from app.issues.jobs import local_today
from app.issues.notify import action_name
from app.ledger import photos
from app.ledger.reads import active_households
from app.models.base import utcnow
from app.views_util import attempt, flash_errors, managed_village, region_arg


LABELS = {"kinds": dict(KINDS), "categories": dict(CATEGORIES)}


def _list(template: str, page, **extra):
    may = {action: permissions.may(current_user, action)
           for action in ("issues.new", "me.committee", "issues.own")}
    return render_template(template, page=page, today=local_today(utcnow()),
                           status=request.args.get("status"), may=may, **LABELS, **extra)


@bp.route("/issues")
@permission_required("issues.list")
def index():
    """Households: the village's public issues. Others: every issue in scope, filtered by status."""
    size, after = current_app.config["PAGE_SIZE"], request.args.get("after")
    if permissions.may(current_user, "issues.village_public"):
        return _list("issues/public.html", reads.public_page(current_user, after, size))
    page = reads.issues_page(current_user, request.args.get("status"), local_today(utcnow()),
                             after, size, region_arg(), villages=True)
    return _list("issues/index.html", page, title=_("Issues and suggestions"))


@bp.route("/issues/mine")
@permission_required("issues.own")
def mine():
    """The household's own issues, with their status and what happened."""
    page = reads.issues_page(current_user, None, local_today(utcnow()), request.args.get("after"),
                             current_app.config["PAGE_SIZE"])
    return _list("issues/index.html", page, title=_("My issues"))


@bp.route("/issues/assigned")
@permission_required("issues.assigned")
def assigned():
    """The issues the user is responsible for, in every village."""
    page = reads.assigned_page(current_user, request.args.get("status"), local_today(utcnow()),
                               request.args.get("after"), current_app.config["PAGE_SIZE"])
    return _list("issues/index.html", page, title=_("Assigned to me"))


@bp.route("/issues/new", methods=["GET", "POST"])
@permission_required("issues.new")
def new():
    """A household raises an issue online; a committee records one for a household."""
    form = RaiseForm()
    own = permissions.may(current_user, "issues.own")
    households = active_households(current_user) if not own else \
        [current_user.household] if current_user.household else []
    form.household_id.choices = [(h.id, f"{h.number} {h.head_name}") for h in households]
    village_id = current_user.village_id
    form.meeting_id.choices = [(0, _("Not at a meeting (online)"))] + [
        (m.id, f"{m.starts_at:%Y-%m-%d} {m.topic}") for m in reads.recent_meetings(village_id or -1)]
    if form.validate_on_submit():
        issue = attempt(photos.stored, form.photo.data, lambda name: services.raise_issue(
            current_user, form.household_id.data, form.kind.data, form.category.data,
            form.description.data, name, form.meeting_id.data or None),
            done=_("Thank you. The committee has registered it and will answer."))
        if issue:
            return redirect(url_for(".detail", issue_id=issue.value.id))
    return render_template("issues/new.html", form=form, own=own)


@bp.route("/issues/<int:issue_id>")
@permission_required("issues.open")
def detail(issue_id: int):
    """One issue: its state, responsible person, deadline, timeline and the user's actions."""
    issue, full = reads.issue_or_404(current_user, issue_id)
    assign = AssignForm(formdata=None, obj=issue)
    assign.responsible_user_id.choices = [(0, _("No account (a named unit)"))] + [
        (u.id, u.display_name or u.username) for u in services.responsibles(issue)]
    may = {action: permissions.may(current_user, f"issues.{action}", issue)
           for action in ("manage", "handle", "supervise", "confirm")}
    return render_template("issues/detail.html", issue=issue, full=full, may=may, assign=assign,
                           timeline=reads.events_of(issue.id) if full else [],
                           action_name=action_name, note=NoteForm(formdata=None),
                           confirm=ConfirmIssueForm(formdata=None), button=ButtonForm(),
                           today=local_today(utcnow()), **LABELS)


def _act(issue_id: int, form, call, done: str):
    """Run one service call from a posted form; flash its result; back to the issue."""
    reads.issue_or_404(current_user, issue_id)
    if form.validate_on_submit():
        attempt(call, form, done=done)
    else:
        flash_errors(form)
    return redirect(url_for(".detail", issue_id=issue_id))


@bp.route("/issues/<int:issue_id>/assign", methods=["POST"])
@permission_required("issues.open")
def assign(issue_id: int):
    """Assign the responsible person, deadline and measures."""
    form = AssignForm()
    form.responsible_user_id.choices = []  # the service checks the account against the village
    form.responsible_user_id.validate_choice = False
    return _act(issue_id, form, lambda f: services.assign(
        current_user, issue_id, f.responsible_user_id.data or None, f.responsible_unit.data,
        f.deadline.data, f.measures.data), _("Responsible person and deadline saved."))


@bp.route("/issues/<int:issue_id>/<any(progress, resolve, supervise):step>", methods=["POST"])
@permission_required("issues.open")
def note(issue_id: int, step: str):
    """A progress note, the resolution's feedback, or a supervision note."""
    call = {"progress": services.progress, "resolve": services.resolve,
            "supervise": services.supervise}[step]
    return _act(issue_id, NoteForm(), lambda f: call(current_user, issue_id, f.note.data),
                _("Saved. The person who raised it can read it."))


@bp.route("/issues/<int:issue_id>/confirm", methods=["POST"])
@permission_required("issues.own")
def confirm(issue_id: int):
    """The raiser's answer: satisfied, or not with the reason."""
    return _act(issue_id, ConfirmIssueForm(), lambda f: services.confirm(
        current_user, issue_id, f.satisfied.data == "yes", f.reason.data),
        _("Thank you for your answer."))


@bp.route("/issues/<int:issue_id>/<any(publish, unpublish, adopt):step>", methods=["POST"])
@permission_required("issues.open")
def decide(issue_id: int, step: str):
    """Make public to the village, hide again, or adopt a suggestion."""
    calls = {"publish": lambda f: services.publish(current_user, issue_id, True),
             "unpublish": lambda f: services.publish(current_user, issue_id, False),
             "adopt": lambda f: services.adopt(current_user, issue_id)}
    return _act(issue_id, ButtonForm(), calls[step], _("Saved."))


@bp.route("/issues/<int:issue_id>/photo")
@permission_required("issues.open")
def photo(issue_id: int):
    """The issue's photo, for those who may read the issue in full."""
    issue, full = reads.issue_or_404(current_user, issue_id)
    if not full or not issue.photo or not photos.NAME.match(issue.photo):
        abort(404)
    response = send_from_directory(photos.folder(), issue.photo, mimetype="image/jpeg", max_age=3600)
    response.cache_control.private = True
    return response


@bp.route("/issues/settings", methods=["GET", "POST"])
@permission_required("me.committee")
def settings():
    """The committee sets how long a resolution waits for the raiser before it counts as confirmed."""
    village = managed_village()
    form = SettingsForm(confirm_days=reads.confirm_days(village.id))
    if form.validate_on_submit():
        if attempt(services.set_confirm_days, current_user, village.id, form.confirm_days.data,
                   done=_("Saved.")):
            return redirect(url_for(".settings"))
    return render_template("issues/settings.html", form=form, village=village)
