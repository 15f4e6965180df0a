"""Rankings: ties, stars and the next star, periods, what each role may see, /me, the poster."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.errors import InvalidInput
from app.extensions import db
from app.ledger import reads as ledger_reads, services
from app.ledger.settings import save_settings
from app.models import Household
from app.models.ranking import RankingMonth
from app.rankings import periods, poster, reads, recount
from tests import factories
from tests.ledger_world import make_world

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _forms(request):
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["WTF_CSRF_ENABLED"] = False


def _now():
    return datetime.now(ZONE)


def _this_month():
    return periods.current("month", _now())


def _expected_ranks(points: dict) -> dict:
    """Standard competition ranking, computed plainly: one more than the count of better ones."""
    return {h: 1 + sum(1 for q in points.values() if q > p) for h, p in points.items()}


def test_competition_ranks_share_and_skip():
    assert reads.competition_ranks([50, 30, 30, 10]) == [1, 2, 2, 4]
    assert reads.competition_ranks([7, 7, 7]) == [1, 1, 1]
    assert reads.competition_ranks([9, 0, 0, -5]) == [1, 2, 2, 4]
    assert reads.competition_ranks([]) == []


@pytest.mark.parametrize("thresholds", [(100, 200, 400, 800), (50, 120, 300, 600), (1, 2, 3, 4)])
def test_stars_and_points_to_the_next_star(thresholds):
    for score in (-30, -1, 0, 1, 2, 49, 50, 51, 99, 100, 119, 120, 299, 300, 599, 600, 800, 5000):
        # One star for any positive score, then one per threshold reached.
        want = 0 if score <= 0 else 1 + len([t for t in thresholds if score >= t])
        assert reads.stars(score, thresholds) == want
        if want == 5:
            assert reads.to_next_star(score, thresholds) is None
        else:
            target = 1 if want == 0 else thresholds[want - 1]
            assert reads.to_next_star(score, thresholds) == target - score
            assert reads.stars(score + reads.to_next_star(score, thresholds), thresholds) > want


def test_stars_agree_with_the_ledger_and_village_settings(app):
    w = make_world()
    save_settings(w.committee, w.home.id, 15, 25, 40, 90, 7)
    services.award(w.committee, [w.h1.id], w.good.id)
    services.award(w.committee, [w.h1.id], w.good.id)
    services.award(w.committee, [w.h2.id], w.good.id)
    db.session.expire_all()
    rows = {r.household_id: r for r in reads.ranking(w.home.id, _this_month())}
    for h in (w.h1, w.h2, w.h3):
        household = db.session.get(Household, h.id)
        assert rows[h.id].stars == ledger_reads.star_rating(household)
    assert rows[w.h1.id].stars == 2 and rows[w.h2.id].stars == 1  # 20 >= 15; 10 < 15
    assert reads.standing(db.session.get(Household, w.h1.id)).to_next_star == 25 - 20
    assert reads.standing(db.session.get(Household, w.h2.id)).to_next_star == 15 - 10
    assert reads.standing(db.session.get(Household, w.h3.id)).to_next_star == 1


def test_ranking_ties_deductions_spending_and_reversals(app):
    w = make_world()
    extra = factories.household(w.home, head_name="四户")
    good, bad = w.good.id, w.bad.id
    services.award(w.committee, [w.h1.id, w.h2.id], good)
    services.award(w.committee, [w.h1.id, w.h2.id, w.h3.id], good)
    gained = {w.h1.id: 20, w.h2.id: 20, w.h3.id: 10, extra.id: 0}

    def check():
        rows = reads.ranking(w.home.id, _this_month())
        assert {r.household_id: r.gained for r in rows} == gained
        assert {r.household_id: r.rank for r in rows} == _expected_ranks(gained)
        assert [r.gained for r in rows] == sorted(gained.values(), reverse=True)
        assert recount.verify() == []

    check()  # 1, 1, 3, 4: two households tie at the top
    services.deduct(w.committee, [w.h3.id], bad, "乱扔垃圾")
    gained[w.h3.id] -= 20
    check()  # a deduction counts: 三户 falls below the household with nothing
    services.redeem(w.committee, w.h1.id, 15)
    check()  # spending does not count
    last = services.award(w.committee, [w.h2.id], good)[0]
    gained[w.h2.id] += 10
    check()
    services.reverse(w.committee, last.id, "记错了")
    gained[w.h2.id] -= 10
    check()  # the reversal cancels it: tied again
    standing = reads.standing(db.session.get(Household, w.h3.id))
    assert (standing.rank, standing.total, standing.gained) == (4, 4, -10)
    standing = reads.standing(db.session.get(Household, w.h2.id))
    assert (standing.rank, standing.total, standing.gained) == (1, 4, 20)


def test_grid_ranking_periods_and_movers(app):
    w = make_world()
    month = _this_month()
    before = month.previous
    earlier = datetime(before.year, before.number, 15, 12, tzinfo=ZONE)  # mid previous month
    services.import_entries([
        dict(household_id=w.h3.id, village_id=w.home.id, points=100, kind="award",
             rule_id=w.big.id, note="", created_at=earlier)])
    db.session.commit()
    services.award(w.committee, [w.h1.id], w.good.id)
    rows = reads.ranking(w.home.id, month, w.grid.id)
    assert [r.household_id for r in rows] == [w.h1.id, w.h2.id]  # only the grid's households
    village = {r.household_id: r for r in reads.ranking(w.home.id, month)}
    # Last month: 三户 1st, 一户 and 二户 tied 2nd; this month 一户 1st, the other two tied 2nd.
    assert [(village[h.id].previous_rank, village[h.id].rank) for h in (w.h1, w.h2, w.h3)] == \
        [(2, 1), (2, 2), (1, 2)]
    assert [r.household_id for r in reads.movers(list(village.values()))] == [w.h1.id, w.h3.id]
    year_rows = {r.household_id: r.gained for r in reads.ranking(w.home.id, periods.current("year", _now()))}
    assert year_rows[w.h3.id] == (100 if before.year == month.year else 0)
    assert year_rows[w.h1.id] == 10
    quarter = periods.current("quarter", _now())
    quarter_rows = {r.household_id: r.gained for r in reads.ranking(w.home.id, quarter)}
    assert quarter_rows[w.h3.id] == (100 if quarter.first <= before.first else 0)


def test_a_reversal_counts_in_the_month_of_the_entry_it_reverses(app):
    w = make_world()
    at = datetime.now(UTC) - timedelta(days=70)
    services.import_entries([dict(household_id=w.h1.id, village_id=w.home.id, points=100,
                                  kind="award", rule_id=w.big.id, note="", created_at=at)])
    db.session.commit()
    entry_id = ledger_reads.history(w.h1.id, limit=1)[0][0].id
    then = periods.current("month", at.astimezone(ZONE))
    assert {r.household_id: r.gained for r in reads.ranking(w.home.id, then)}[w.h1.id] == 100
    services.reverse(w.committee, entry_id, "错误")
    assert {r.household_id: r.gained for r in reads.ranking(w.home.id, then)}[w.h1.id] == 0
    assert {r.household_id: r.gained for r in reads.ranking(w.home.id, _this_month())}[w.h1.id] == 0
    assert recount.verify() == []


def test_periods_parse_and_step():
    assert periods.parse("quarter", "2026-Q4").first == 202610
    assert periods.parse("quarter", "2026-Q4").last == 202612
    assert periods.parse("quarter", "2026-Q1").previous.key == "2025-Q4"
    assert periods.parse("month", "2026-01").previous.key == "2025-12"
    assert periods.parse("year", "2026").last == 202612
    for kind, key in (("month", "2026-13"), ("month", "x"), ("quarter", "2026-Q5"),
                      ("week", "2026"), ("year", "99999")):
        with pytest.raises(InvalidInput):
            periods.parse(kind, key)


def test_who_sees_which_ranking(client, auth, app):
    w = make_world()
    services.award(w.committee, [w.h1.id], w.good.id)
    factories.user("county", "official", region_id=w._county.id)
    _c, other_county, _t, _v = factories.region_tree(villages=("丁村",))
    factories.user("far", "official", region_id=other_county.id)
    cases = [
        ("committee", "/rankings", 200), ("committee", f"/rankings?village={w.other.id}", 404),
        ("committee", f"/rankings?grid={w.grid.id}", 200),
        ("committee2", f"/rankings?village={w.home.id}", 404),
        ("leader", "/rankings", 200), ("leader", f"/rankings?grid={w.grid.id + 1000}", 404),
        ("leader", f"/rankings?village={w.other.id}", 404),
        ("h1", "/rankings", 403), ("h1", "/rankings/poster", 403),
        ("county", f"/rankings?village={w.home.id}", 200), ("county", "/rankings", 200),
        ("far", f"/rankings?village={w.home.id}", 404),
        ("admin", f"/rankings?village={w.home.id}&period=year", 200),
        ("committee", "/rankings?village=abc", 404),
        ("committee", "/rankings?village=99999999999999999999", 404),
        ("committee", "/rankings?period=quarter&at=2026-Q9", 200),
        ("committee", "/rankings?page=99999999999999999999", 200),
        ("committee", "/rankings/poster?month=2026-99", 200),
        ("leader", "/rankings/poster", 200), ("far", f"/rankings/poster?village={w.home.id}", 404),
    ]
    for username, path, status in cases:
        auth.logout()
        auth.login(username)
        assert client.get(path).status_code == status, (username, path)
    auth.logout()
    auth.login("leader")
    page = client.get("/rankings").get_data(as_text=True)
    assert "一户" in page and "二户" in page and "三户" not in page  # its grid only


def test_ranking_page_shows_rule_ranks_and_movers(client, auth, app):
    w = make_world()
    services.award(w.committee, [w.h1.id, w.h2.id], w.good.id)
    auth.login("committee")
    page = client.get("/rankings").get_data(as_text=True)
    assert 'id="ranking-rule"' in page and "1、2、2、4" in page
    table = page[page.index('id="ranking-table"'):]
    ranks = re.findall(r'<td class="fw-bold">(\d+)</td>', table)
    assert ranks == ["1", "1", "3"]
    assert 'id="movers"' in page  # 三户 fell from a three-way tie for first (no points before)
    assert "/rankings/poster" in page
    later = _this_month().step(1).key
    assert f"at={later}" not in page  # no link to a month that has not begun
    assert f"at={_this_month().key}" in client.get(f"/rankings?at={_this_month().previous.key}").get_data(as_text=True)


def test_me_shows_rank_and_next_star(client, auth, app):
    w = make_world()
    services.award(w.committee, [w.h1.id], w.big.id)
    services.award(w.committee, [w.h2.id], w.good.id)
    auth.login("h2")
    page = client.get("/me").get_data(as_text=True)
    block = page[page.index('id="my-rank"'):]
    assert "第 2 名" in block and "共 3 户" in block
    assert "距下一颗星还差 90 分" in block  # 10 points, two stars at 100


def test_poster_pdf_is_one_a4_page_with_many_long_names(app):
    w = make_world()
    made = [Household(village_id=w.home.id, number=f"9{i:03d}", head_name="欧阳" + "长名字" * 6 + str(i))
            for i in range(80)]
    db.session.add_all(made)
    db.session.commit()
    now = datetime.now(UTC)
    services.import_entries([dict(household_id=h.id, village_id=w.home.id, points=900 - i * 7,
                                  kind="award", rule_id=w.big.id, note="", created_at=now)
                             for i, h in enumerate(made)] +
                            [dict(household_id=made[0].id, village_id=w.home.id, points=10,
                                  kind="award", rule_id=w.good.id, note="", created_at=now)])
    db.session.commit()
    with app.test_request_context():
        data = poster.data(w.home, None, _this_month())
        assert len(data["top"]) == 10 and data["top"][0].rank == 1
        assert sum(len(level["shown"]) for level in data["levels"]) == poster.STAR_NAMES
        html = poster.render_html(data, pdf=True)
        assert w.home.name in html and _this_month().label in html
        document = poster.document(data)
        assert len(document.pages) == 1
        size = document.pages[0].width, document.pages[0].height  # CSS px at 96 an inch
        assert abs(size[0] - 210 / 25.4 * 96) < 1 and abs(size[1] - 297 / 25.4 * 96) < 1


def test_poster_pdf_download(client, auth, app):
    w = make_world()
    services.award(w.committee, [w.h1.id], w.good.id)
    auth.login("leader")
    response = client.get("/rankings/poster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_poster_pdf_without_pdf_printing_goes_back_to_the_page_with_its_arguments(
        client, auth, app, monkeypatch):
    make_world()
    auth.login("leader")

    def missing(_data):
        raise ImportError("weasyprint")

    monkeypatch.setattr(poster, "render_pdf", missing)
    month = _this_month().key
    response = client.get(f"/rankings/poster.pdf?month={month}&next=//evil.example&x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/rankings/poster?month={month}"


def test_figures_verify_covers_the_rankings(runner, app):
    w = make_world()
    services.award(w.committee, [w.h1.id], w.good.id)
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 0, result.output
    db.session.execute(RankingMonth.__table__.update().values(gained=999))
    db.session.commit()
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "household" in result.output and "999" in result.output
    result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["figures", "verify"]).exit_code == 0


def test_concurrent_awards_lose_no_points(app):
    from tests import races

    w = make_world()
    committee_id, houses, good = w.committee.id, [w.h1.id, w.h2.id, w.h3.id], w.good.id
    db.session.rollback()  # on SQLite the main session would hold the write lock

    def work(i):
        from app.models import User

        actor = db.session.get(User, committee_id)
        # Overlapping sets, the households' months' rows created by the first of them.
        return len(services.award(actor, houses[i % 3:] + houses[:i % 3][:1], good))

    results = races.race(app, work, 12)
    assert all(isinstance(r, int) for r in results), results
    db.session.expire_all()
    rows = {r.household_id: r.gained for r in reads.ranking(w.home.id, _this_month())}
    counted = {h: 10 * sum(1 for i in range(12) if h in houses[i % 3:] + houses[:i % 3][:1])
               for h in houses}
    assert rows == counted
    assert recount.verify() == []
