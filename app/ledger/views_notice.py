"""The public notice board (积分公示), its printable A4 view, and objections (异议) to entries.

Thin views over app/ledger/claims.py; every read goes through app/scope.py.
"""
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.decorators import roles_required
from app.errors import DomainError
from app.extensions import db
from app.ledger import bp, claims
from app.ledger.forms_household import AnswerForm, ObjectionForm
from app.ledger.queries import settings_for
from app.ledger.views_household import (DECIDERS, entry_flags, reading_village,
                                        scoped_household_ids)
from app.models import Household, LedgerEntry, Objection, Role
from app.pagination import keyset_page
from app.views_util import flash_errors

NOTICE_READERS = (Role.HOUSEHOLD, Role.GRID_LEADER, Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# A village-month is a few thousand rows; this only guards the print view against the absurd.
PRINT_MAX = 20000


def _month():
    """(first day of the month asked for, its UTC start, UTC end); the current month by default."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    now = datetime.now(UTC).astimezone(zone)
    year, month = now.year, now.month
    asked = request.args.get("month", "")
    found = MONTH.match(asked)
    if found and 2000 <= int(found[1]) <= 2100 and 1 <= int(found[2]) <= 12:
        year, month = int(found[1]), int(found[2])
    elif asked:
        flash(_("Unknown month %(month)s: showing the current month.", month=asked[:20]), "warning")
    first = datetime(year, month, 1, tzinfo=zone)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return first, first.astimezone(UTC), following.astimezone(UTC)


def _notice_query(village_id: int, start, end) -> sa.Select:
    return (sa.select(LedgerEntry)
            .where(LedgerEntry.village_id == village_id,
                   LedgerEntry.kind.in_(("award", "deduction")),
                   LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
            .options(so.joinedload(LedgerEntry.household), so.joinedload(LedgerEntry.rule)))


def _months_around(first: datetime) -> tuple[str, str]:
    previous = (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)
    following = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return "%04d-%02d" % previous, "%04d-%02d" % following


@bp.route("/notice")
@roles_required(*NOTICE_READERS)
def notice():
    """The month's awards and deductions of the village, for everyone in it to check."""
    village = reading_village()
    first, start, end = _month()
    page = keyset_page(_notice_query(village.id, start, end), [LedgerEntry.id],
                       request.args.get("after"), current_app.config["PAGE_SIZE"], descending=True)
    previous, following = _months_around(first)
    return render_template("ledger/notice/board.html", village=village, month=first.strftime("%Y-%m"),
                           previous=previous, following=following, page=page,
                           flags=entry_flags(page.items, current_user.household_id),
                           objection_days=settings_for(village.id).objection_days)


@bp.route("/notice/print")
@roles_required(*NOTICE_READERS)
def notice_print():
    """Every award and deduction of the village-month on A4 pages, oldest first."""
    village = reading_village()
    first, start, end = _month()
    entries = db.session.scalars(_notice_query(village.id, start, end)
                                 .order_by(LedgerEntry.created_at, LedgerEntry.id)
                                 .limit(PRINT_MAX + 1)).all()
    return render_template("ledger/notice/print.html", village=village, month=first.strftime("%Y-%m"),
                           entries=entries[:PRINT_MAX], truncated=len(entries) > PRINT_MAX,
                           flags=entry_flags(entries[:PRINT_MAX]),
                           objection_days=settings_for(village.id).objection_days)


# --- objections ----------------------------------------------------------------------------------

@bp.route("/entries/<int(max=2147483647):entry_id>/object", methods=["GET", "POST"])
@roles_required(Role.HOUSEHOLD)
def objection_new(entry_id: int):
    """A household objects to one of its own awards or deductions."""
    entry = db.session.scalar(sa.select(LedgerEntry).where(
        LedgerEntry.id == entry_id, LedgerEntry.household_id == (current_user.household_id or -1),
        LedgerEntry.household_id.in_(scoped_household_ids()))) or abort(404)
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            claims.object_to(current_user, entry.id, form.reason.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Your objection has been sent. The committee will answer it."), "success")
            return redirect(url_for(".my_objections"))
    return render_template("ledger/notice/object.html", entry=entry, form=form,
                           objection_days=settings_for(entry.village_id).objection_days)


def _objections_query() -> sa.Select:
    return (sa.select(Objection).where(Objection.household_id.in_(scoped_household_ids()))
            .options(so.joinedload(Objection.household),
                     so.joinedload(Objection.entry).joinedload(LedgerEntry.rule)))


@bp.route("/objections/mine")
@roles_required(Role.HOUSEHOLD)
def my_objections():
    """The household's objections and their answers, newest first."""
    page = keyset_page(_objections_query(), [Objection.id], request.args.get("after"),
                       current_app.config["PAGE_SIZE"], descending=True)
    return render_template("ledger/notice/mine.html", page=page)


@bp.route("/objections")
@roles_required(*DECIDERS)
def objections_queue():
    """The village's objections: open ones oldest first, or answered ones newest first."""
    village = reading_village()
    answered = request.args.get("status") == "answered"
    query = _objections_query().join(Household, Household.id == Objection.household_id).where(
        Household.village_id == village.id,
        Objection.status != "open" if answered else Objection.status == "open")
    page = keyset_page(query, [Objection.id], request.args.get("after"),
                       current_app.config["PAGE_SIZE"], descending=answered)
    return render_template("ledger/notice/queue.html", village=village, page=page,
                           answered=answered, form=AnswerForm())


def _answer(objection_id: int, service, done: str):
    objection = db.session.scalar(_objections_query().where(Objection.id == objection_id))
    objection = objection or abort(404)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            service(current_user, objection.id, form.answer.data)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(done, "success")
    else:
        flash_errors(form)
    return redirect(url_for(".objections_queue", village=objection.household.village_id))


@bp.route("/objections/<int(max=2147483647):objection_id>/uphold", methods=["POST"])
@roles_required(*DECIDERS)
def objection_uphold(objection_id: int):
    """Keep the entry and answer the objection."""
    return _answer(objection_id, claims.uphold_objection, _("The entry stands; the answer was sent."))


@bp.route("/objections/<int(max=2147483647):objection_id>/reverse", methods=["POST"])
@roles_required(*DECIDERS)
def objection_reverse(objection_id: int):
    """Agree with the objection: the entry is reversed."""
    return _answer(objection_id, claims.reverse_for_objection,
                   _("The entry has been reversed; the answer was sent."))
