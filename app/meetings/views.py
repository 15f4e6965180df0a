"""Meeting pages: lists, planning, open and close, the live check-in code, scanning it, the register.

Thin views over app/meetings/services.py and reads.py; GETs never write.
"""
from zoneinfo import ZoneInfo

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   send_from_directory, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.access import lookup, permissions
from app.access.permissions import permission_required
from app.errors import DomainError
from app.ledger import photos
from app.meetings import bp, codes, reads, services
from app.meetings.forms import FORMATS, ButtonForm, CheckInForm, CloseForm, PlanForm
from app.models.base import utcnow
from app.security import scanner_csp
from app.shop.forms import CodeForm
from app.views_util import attempt, db_id, flash_errors, limit_typed_codes, region_arg


def _host_or_404(meeting):
    return lookup.permitted_or_404(current_user, "meetings.host", meeting.village_id, meeting)


@bp.route("/meetings")
@permission_required("meetings.list")
def index():
    """The meetings of the user's village or region, newest first, with attendance for a household."""
    status = request.args.get("status")
    household = permissions.may(current_user, "meetings.attend")
    page = reads.meetings_page(current_user, status, request.args.get("after"),
                               current_app.config["PAGE_SIZE"], region_arg(), villages=not household)
    attended = reads.attended(current_user.household_id if household else None,
                              [m.id for m in page.items])
    return render_template("meetings/index.html", page=page, attended=attended, status=status,
                           formats=dict(FORMATS), now=utcnow(),
                           may_plan=permissions.may(current_user, "meetings.plan"),
                           household=household)


@bp.route("/meetings/new", methods=["GET", "POST"])
@permission_required("meetings.plan")
def plan():
    """Plan a meeting in a village the user runs."""
    form = PlanForm()
    form.village_id.choices = [(v.id, v.name) for v in reads.plannable_villages(current_user)]
    if form.validate_on_submit():
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        meeting = attempt(services.plan, current_user, form.village_id.data, form.format.data,
                          form.topic.data, form.starts_at.data.replace(tzinfo=zone),
                          form.place.data, form.hosts(),
                          done=_("Meeting planned; the village's households have been told."))
        if meeting:
            return redirect(url_for(".detail", meeting_id=meeting.value.id))
    return render_template("meetings/plan.html", form=form)


@bp.route("/meetings/<int:meeting_id>")
@permission_required("meetings.list")
def detail(meeting_id: int):
    """One meeting: hosts, status, attendance, and the actions the user may take."""
    meeting = reads.meeting_or_404(current_user, meeting_id)
    host = permissions.may(current_user, "meetings.host", meeting.village_id)
    return render_template(
        "meetings/detail.html", meeting=meeting, formats=dict(FORMATS), host=host,
        may_close=permissions.may(current_user, "meetings.close", meeting),
        attendance=reads.attendance(meeting.id) if host else [],
        attended=bool(reads.attended(current_user.household_id, [meeting.id])),
        button=ButtonForm(), close_form=CloseForm(),
        household=permissions.may(current_user, "meetings.attend"))


@bp.route("/meetings/<int:meeting_id>/open", methods=["POST"])
@permission_required("meetings.plan")
def open_meeting(meeting_id: int):
    """Open a planned meeting for check-in, then show its code."""
    meeting = _host_or_404(reads.meeting_or_404(current_user, meeting_id))
    if ButtonForm().validate_on_submit():
        if attempt(services.open_meeting, current_user, meeting.id):
            return redirect(url_for(".code", meeting_id=meeting.id))
    return redirect(url_for(".detail", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/close", methods=["POST"])
@permission_required("meetings.plan")
def close(meeting_id: int):
    """Close an open meeting; attendance points are awarded once."""
    meeting = reads.meeting_or_404(current_user, meeting_id)
    form = CloseForm()
    if form.validate_on_submit():
        closed = attempt(photos.stored, form.photo.data, lambda name: services.close(
            current_user, meeting.id, form.minutes.data, photo=name), done=lambda result: _(
            "Meeting closed; %(count)d household(s) got attendance points.", count=result[1]))
        if closed and closed.value[2]:  # (meeting, awarded, left): some left for another member
            flash(_("Your own household's attendance points must be awarded by another "
                    "member of the committee."), "warning")
    else:
        flash_errors(form)
    return redirect(url_for(".detail", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/award-remaining", methods=["POST"])
@permission_required("meetings.plan")
def award_remaining(meeting_id: int):
    """Award attendance points the close had to leave out (a member's own household)."""
    meeting = reads.meeting_or_404(current_user, meeting_id)
    if ButtonForm().validate_on_submit():
        attempt(services.award_remaining, current_user, meeting.id, done=lambda count: _(
            "%(count)d household(s) got attendance points.", count=count))
    return redirect(url_for(".detail", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/code")
@permission_required("meetings.plan")
def code(meeting_id: int):
    """The live check-in QR code for the host's phone or a projector (refreshes itself)."""
    meeting = _host_or_404(reads.meeting_or_404(current_user, meeting_id))
    return render_template("meetings/code.html", meeting=meeting, slot=codes.SLOT,
                           count=reads.attendee_count(meeting.id))


@bp.route("/meetings/<int:meeting_id>/code.svg")
@permission_required("meetings.plan")
def code_svg(meeting_id: int):
    """The current QR code as SVG: a URL of this site with a fresh token; never cached."""
    meeting = _host_or_404(reads.meeting_or_404(current_user, meeting_id))
    if meeting.status != "open":
        abort(404)
    url = url_for(".scan", token=codes.make_token(meeting.id, utcnow()), _external=True)
    response = Response(codes.qr_svg(url), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Attendees"] = str(reads.attendee_count(meeting.id))
    return response


@bp.route("/m/<token>", methods=["GET", "POST"])
@permission_required("meetings.scan")
def scan(token: str):
    """Where a household's phone lands after scanning the code: one tap (a POST) checks it in."""
    form = CheckInForm()
    try:
        if form.validate_on_submit():
            meeting_id = codes.read_ticket(form.ticket.data, current_user.household_id or 0)
            attendance, added = services.check_in(current_user, meeting_id)
            return render_template("meetings/checked_in.html", added=added,
                                   meeting=reads.meeting_or_404(current_user, meeting_id))
        meeting = services.scannable(current_user, codes.read_token(token, utcnow()))
    except DomainError as error:
        return render_template("meetings/scan.html", error=error.message), 422
    form.ticket.data = codes.make_ticket(meeting.id, current_user.household_id)
    return render_template("meetings/scan.html", meeting=meeting, form=form,
                           attended=bool(reads.attended(current_user.household_id, [meeting.id])))


@bp.route("/meetings/<int:meeting_id>/register", methods=["GET", "POST"])
@permission_required("meetings.plan")
def register(meeting_id: int):
    """The committee ticks households present from the register (for those without phones)."""
    meeting = _host_or_404(reads.meeting_or_404(current_user, meeting_id))
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            ids = [db_id(h) for h in request.form.getlist("household_id")]
        except ValueError:
            flash(_("Choose households of this village."), "danger")
        else:
            if attempt(services.tick, current_user, meeting.id, ids, done=lambda added: _(
                    "%(count)d household(s) checked in.", count=added)):
                return redirect(url_for(".register", meeting_id=meeting.id))
    return render_template("meetings/register.html", meeting=meeting, rows=reads.register(meeting),
                           form=form)


@bp.route("/meetings/<int:meeting_id>/scan-in", methods=["GET", "POST"])
@permission_required("meetings.plan")
@limit_typed_codes
def scan_in(meeting_id: int):
    """The desk: the committee scans households' payment codes with the shop's scanner (or types
    the number); each read checks its household in, and the scanner is ready for the next."""
    meeting = _host_or_404(reads.meeting_or_404(current_user, meeting_id))
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        read = attempt(services.check_in_scanned, current_user, meeting.id, form.code.data)
        status = read.status
        if read:
            household, added = read.value
            who = {"name": household.head_name, "number": household.number}
            if added:
                flash(_("%(name)s (No. %(number)s) checked in.", **who), "success")
            else:
                flash(_("%(name)s (No. %(number)s) had already checked in.", **who), "info")
            return redirect(url_for(".scan_in", meeting_id=meeting.id))
    elif request.method == "POST":
        status = 422  # nothing typed, or too long: the field says why
    page = render_template("meetings/scan_in.html", meeting=meeting, form=form,
                           count=reads.attendee_count(meeting.id))
    return scanner_csp(current_app.make_response((page, status)))


@bp.route("/meetings/<int:meeting_id>/photo")
@permission_required("meetings.list")
def photo(meeting_id: int):
    """The meeting's photo, for everyone who may see the meeting."""
    meeting = reads.meeting_or_404(current_user, meeting_id)
    if not meeting.photo or not photos.NAME.match(meeting.photo):
        abort(404)
    response = send_from_directory(photos.folder(), meeting.photo, mimetype="image/jpeg", max_age=3600)
    response.cache_control.private = True
    return response
