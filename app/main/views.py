"""Each role's landing page, the household's own page and /healthz."""
import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from app.access import scope
from app.access.accounts import home_endpoint
from app.access.permissions import may, permission_required
from app.dates import local_today
from app.extensions import db, limiter
from app.ledger.reads import entry_flags, history
from app.households import reads as household_reads
from app.main import bp
from app.main import workbench as workbench_reads
from app.models.base import utcnow
from app.rankings.reads import standing as ranking_standing
from app.ledger.settlement import lapse_notice
from app.shop.cards import services as cards
from app.shop.reports import reads as reports


@bp.route("/")
@permission_required("account.own")
def index():
    """Send each role to the page it starts from."""
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/me")
@permission_required("me.household")
def me():
    """The household's own figures, star rating and newest entries, in large type."""
    household = scope.own_household_or_404(current_user)
    recent, _next = history(household.id, limit=10, with_rule=True)
    standing = ranking_standing(household)  # rank this month, stars and points to the next star
    # After the standing has read the village's settings: no query of its own (identity map).
    lapse = lapse_notice(household)
    return render_template("main/me.html", household=household, stars=standing.stars,
                           recent=recent, flags=entry_flags(recent, household.id),
                           card=cards.card_of(household.id), standing=standing, lapse=lapse)


@bp.route("/workbench")
@permission_required("me.workbench")
def workbench():
    """A committee's or official's first page: what waits for it, one tap to each, and the
    frequent actions as large buttons."""
    today = local_today(utcnow())
    if may(current_user, "me.committee"):  # the committee's workbench, else an official's
        village_id = current_user.village_id or abort(404)
        return render_template("main/workbench.html", committee=True,
                               waiting=workbench_reads.committee_waiting(village_id, today))
    return render_template("main/workbench.html", committee=False,
                           waiting=workbench_reads.official_waiting(current_user, today))


@bp.route("/shop")
@permission_required("me.shop")
def shop_home():
    """The shop keeper's workbench: today's redemptions, low stock, and the way to the scanner."""
    shop = current_user.shop or abort(404)
    return render_template("main/shop.html", shop=shop,
                           counts=household_reads.village_counts(shop.village_id),
                           today=reports.day_totals(shop.id, reports.today()),
                           low=workbench_reads.shop_low_stock(shop.id))


@bp.route("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it unasked (printable sheets, the PDF viewer),
    so no page logs a 404 for it."""
    response = current_app.send_static_file("favicon.svg")
    response.cache_control.max_age = 86400
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """200 and `ok` when the database answers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
