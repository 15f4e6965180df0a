"""The public notice board (积分公示), its printable A4 view, and objections (异议) to entries.

Thin views over app/ledger/claims.py; reads come from app/ledger/notice.py, built on app/scope.py.
"""
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access.permissions import permission_required
from app.ledger import claims, notice as board
from app.ledger.reads import entry_flags, settings_for
from app.ledger.views import notice_bp as bp
from app.ledger.forms.notice import AnswerForm, ObjectionForm
from app.views_util import attempt, flash_errors, readable_village

# A village-month is a few thousand rows; this only guards the print view against the absurd.
PRINT_MAX = 20000


def _month():
    """(first day, UTC start, UTC end) of the month asked for; the current one, with a warning, if bad."""
    asked = attempt(board.month_range, request.args.get("month", ""), flash_as="warning")
    return asked.value if asked else board.month_range("")


@bp.route("/notice")
@permission_required("notice.read")
def notice():
    """The month's awards and deductions of the village, for everyone in it to check."""
    village = readable_village()
    first, start, end = _month()
    page = board.board_page(village.id, start, end, request.args.get("after"),
                            current_app.config["PAGE_SIZE"])
    previous, following = board.months_around(first)
    return render_template("notice/board.html", village=village, month=first.strftime("%Y-%m"),
                           previous=previous, following=following, page=page,
                           flags=entry_flags(page.items, current_user.household_id),
                           objection_days=settings_for(village.id).objection_days)


@bp.route("/notice/print")
@permission_required("notice.read")
def notice_print():
    """Every award and deduction of the village-month on A4 pages, oldest first."""
    village = readable_village()
    first, start, end = _month()
    entries = board.board_entries(village.id, start, end, PRINT_MAX)
    return render_template("notice/print.html", village=village, month=first.strftime("%Y-%m"),
                           entries=entries[:PRINT_MAX], truncated=len(entries) > PRINT_MAX,
                           flags=entry_flags(entries[:PRINT_MAX]),
                           objection_days=settings_for(village.id).objection_days)


# --- objections ----------------------------------------------------------------------------------

@bp.route("/entries/<int:entry_id>/object", methods=["GET", "POST"])
@permission_required("notice.object")
def objection_new(entry_id: int):
    """A household objects to one of its own awards or deductions."""
    entry = board.own_entry_or_404(current_user, entry_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        if attempt(claims.object_to, current_user, entry.id, form.reason.data,
                   done=_("Your objection has been sent. The committee will answer it.")):
            return redirect(url_for(".my_objections"))
    return render_template("notice/object.html", entry=entry, form=form,
                           objection_days=settings_for(entry.village_id).objection_days)


@bp.route("/objections/mine")
@permission_required("notice.object")
def my_objections():
    """The household's objections and their answers, newest first."""
    page = board.my_objections(current_user, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("notice/mine.html", page=page)


@bp.route("/objections")
@permission_required("notice.objections")
def objections_queue():
    """The village's objections: open ones oldest first, or answered ones newest first."""
    village = readable_village()
    answered = request.args.get("status") == "answered"
    page = board.objections_queue(current_user, village.id, answered, request.args.get("after"),
                                  current_app.config["PAGE_SIZE"])
    return render_template("notice/queue.html", village=village, page=page,
                           answered=answered, form=AnswerForm())


def _answer(objection_id: int, service, done: str):
    objection = board.objection_or_404(current_user, objection_id)
    form = AnswerForm()
    if form.validate_on_submit():
        attempt(service, current_user, objection.id, form.answer.data, done=done)
    else:
        flash_errors(form)
    return redirect(url_for(".objections_queue", village=objection.household.village_id))


@bp.route("/objections/<int:objection_id>/uphold", methods=["POST"])
@permission_required("notice.objections")
def objection_uphold(objection_id: int):
    """Keep the entry and answer the objection."""
    return _answer(objection_id, claims.uphold_objection, _("The entry stands; the answer was sent."))


@bp.route("/objections/<int:objection_id>/reverse", methods=["POST"])
@permission_required("notice.objections")
def objection_reverse(objection_id: int):
    """Agree with the objection: the entry is reversed."""
    return _answer(objection_id, claims.reverse_for_objection,
                   _("The entry has been reversed; the answer was sent."))
