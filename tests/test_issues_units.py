"""Responsible units' accounts (责任单位账号): a unit such as 县水利局 serves a region and sees,
handles and resolves only the issues assigned to it; nothing else of the site."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts import units
from app.errors import DomainError, InvalidInput, NotFound
from app.extensions import db
from app.issues import services
from app.models import Issue, Notification, RegionLevel, User
from app.regions.services import add_regions
from tests import factories
from tests.meetings_world import make_meeting_world

DEADLINE = date(2026, 12, 31)


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_meeting_world()
    (county2,) = add_regions([("另一县", RegionLevel.COUNTY, w._city)])
    (town2,) = add_regions([("另一镇", RegionLevel.TOWNSHIP, county2)])
    db.session.commit()
    w.water = factories.user("water", "unit", region_id=w._county.id, display_name="县水利局")
    w.roads = factories.user("roads", "unit", region_id=w._township.id, display_name="镇交通办")
    w.elsewhere = factories.user("elsewhere", "unit", region_id=county2.id, display_name="另一县水利局")
    w.issue = services.raise_issue(w.h1_user, w.h1.id, "issue", "water", "自来水压力小")
    w.far_issue = services.raise_issue(w.far_user, w.far.id, "issue", "water", "乙村水渠堵塞")
    w.roads_issue = services.raise_issue(w.h2_user, w.h2.id, "issue", "roads", "机耕路冲坏")
    w.unassigned = services.raise_issue(w.h3_user, w.h3.id, "issue", "roads", "路灯不亮")
    services.assign(w.committee, w.issue.id, w.water.id, "", DEADLINE, "疏通管道")
    services.assign(w.other_committee, w.far_issue.id, w.water.id, "", DEADLINE, "清理水渠")
    services.assign(w.committee, w.roads_issue.id, w.roads.id, "", DEADLINE, "修路")
    return w


def test_a_unit_sees_exactly_its_assigned_issues_across_villages(client, auth, w):
    auth.login("water")
    page = client.get("/issues/assigned").text
    assert "自来水压力小" in page and "乙村水渠堵塞" in page
    assert "机耕路冲坏" not in page and "路灯不亮" not in page
    for issue in (w.issue, w.far_issue):
        assert client.get(f"/issues/{issue.id}").status_code == 200
    for issue in (w.roads_issue, w.unassigned):  # another unit's, and an unassigned one
        assert client.get(f"/issues/{issue.id}").status_code == 404
    assert "疏通管道" in client.get(f"/issues/{w.issue.id}").text  # the timeline


# The pages a unit's account may open (its own issues, its account and notifications).
UNIT_PAGES = {"/", "/issues/assigned", "/account/tokens", "/notifications", "/password",
              "/healthz", "/favicon.ico", "/login", "/api/v1/docs", "/api/v1/openapi.json"}
UNIT_PAGES |= {"/verify/key", "/verify/key.pem", "/verify/key.json"}  # public: the certificates' key
UNIT_PAGES |= {"/readyz", "/metrics"}  # the health pages (public; /metrics from allowed addresses)


def test_a_unit_opens_nothing_else_and_never_a_500(app, client, auth, w):
    auth.login("water")
    paths = sorted(r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and not r.rule.startswith("/api/")
                   and not r.rule.startswith("/static"))
    opened = set()
    for path in paths + [f"/households/{w.h1.id}", f"/meetings/{w.far_issue.id}"]:
        status = client.get(path).status_code
        assert status < 500, path
        if status == 200:
            opened.add(path)
    assert opened <= UNIT_PAGES, opened - UNIT_PAGES
    assert "/issues/assigned" in opened


def test_a_unit_signs_in_to_its_issues(client, auth, w):
    auth.login("water")
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200 and "自来水压力小" in home.text
    assert 'name="viewport"' in home.text and "width=device-width" in home.text
    nav = home.text
    for hidden in ("/households", "/meetings", "/points"):
        assert f'href="{hidden}' not in nav, hidden


def test_a_unit_handles_and_resolves_its_issue(client, auth, w):
    auth.login("water")
    client.post(f"/issues/{w.issue.id}/progress", data={"note": "已到现场"})
    client.post(f"/issues/{w.issue.id}/resolve", data={"note": "管道已疏通"})
    assert db.session.get(Issue, w.issue.id).status == "resolved"
    # Not another unit's issue, and no managing of its own (deadline, publishing).
    assert client.post(f"/issues/{w.roads_issue.id}/resolve",
                       data={"note": "x"}).status_code == 404
    with pytest.raises(DomainError):
        services.publish(w.water, w.far_issue.id, True)
    with pytest.raises(DomainError):
        services.resolve(w.water, w.roads_issue.id, "不是我的")
    assert db.session.get(Issue, w.roads_issue.id).status == "handling"


def test_a_unit_is_notified_of_its_assignment_and_when_overdue(app, w):
    from app import events
    from app.database import transaction

    with transaction():
        assert services.mark_overdue(w.issue.id, date(2027, 1, 5))
    events.deliver_pending()
    kinds = list(db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == w.water.id).order_by(Notification.id)))
    assert kinds.count("issue.assigned") == 2 and kinds.count("issue.overdue") == 1


def test_a_unit_of_another_county_is_refused(w):
    with pytest.raises(InvalidInput) as refused:
        services.assign(w.committee, w.unassigned.id, w.elsewhere.id, "", DEADLINE, "修")
    assert "另一县水利局" in refused.value.message
    assert db.session.get(Issue, w.unassigned.id).responsible_user_id is None


def test_the_assign_form_offers_units_serving_the_village(client, auth, w):
    offered = {u.username for u in services.responsibles(w.unassigned)}
    assert {"water", "roads", "committee", "county", "cityofficial"} <= offered
    assert "elsewhere" not in offered and "committee2" not in offered
    auth.login("committee")
    page = client.get(f"/issues/{w.unassigned.id}").text
    assert "县水利局" in page and "另一县水利局" not in page
    client.post(f"/issues/{w.unassigned.id}/assign", data={
        "responsible_user_id": w.roads.id, "responsible_unit": "",
        "deadline": (date.today() + timedelta(days=60)).isoformat(),
        "measures": "换灯"})
    issue = db.session.get(Issue, w.unassigned.id)
    assert issue.responsible_user_id == w.roads.id and issue.responsible_unit == "镇交通办"


def test_an_official_creates_unit_accounts_in_its_subtree_only(client, auth, w):
    made = units.create_unit(w.county_official, "water2", "long-enough-pw", "县水务公司",
                             w._township.id)
    assert made.role == "unit" and made.region_id == w._township.id and made.must_change_password
    with pytest.raises(NotFound):  # above its own region
        units.create_unit(w.county_official, "citywater", "long-enough-pw", "市水利局", w._city.id)
    with pytest.raises(InvalidInput):  # a unit serves a township or above
        units.create_unit(w.county_official, "villwater", "long-enough-pw", "村水管员", w.home.id)
    with pytest.raises(DomainError):
        units.create_unit(w.committee, "comwater", "long-enough-pw", "x", w._township.id)
    with pytest.raises(InvalidInput, match="县水利局"):  # a name of spaces is no name
        units.create_unit(w.county_official, "blank", "long-enough-pw", "   ", w._township.id)
    assert db.session.scalar(sa.select(User).where(User.username == "blank")) is None
    auth.login("county")
    page = client.get("/accounts/units").text
    assert "县水利局" in page and "另一县水利局" not in page
    client.post("/accounts/units", data={"display_name": "县交通局", "region_id": w._county.id,
                                         "username": "traffic", "password": "long-enough-pw"})
    assert db.session.scalar(sa.select(User).where(User.username == "traffic")).role == "unit"
    auth.logout()
    auth.login("committee")
    assert client.get("/accounts/units").status_code == 403


def test_the_users_create_command_makes_a_unit(app, w):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "cliwater", "--role", "unit", "--scope", str(w._county.id)],
        input="long-enough-pw\nlong-enough-pw\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.role).where(User.username == "cliwater")) == "unit"
