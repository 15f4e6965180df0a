"""README "Setting up your county", followed in a browser from an empty database: the administrator,
the county's tree from division codes, committees and officials with printed slips, a rulebook
template adopted by a village, its household list, an award, and the household seeing it."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Household, Region
from tests.e2e import has_no_horizontal_scroll, sign_in
from tests.e2e.conftest import PHONE, LiveServer

FIXTURE = Path(__file__).parents[1] / "data" / "mingxi_tree.csv"


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """The real app on a migrated, empty SQLite database (no demo)."""
    home = tmp_path_factory.mktemp("county")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'lianxin.db'}",
                      "INSTANCE_PATH": str(home), "UPLOAD_FOLDER": str(home / "uploads"),
                      "LOGIN_LIMIT_PER_USERNAME": "10000 per minute",
                      "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute"})
    with app.app_context():
        upgrade()
        db.session.remove()
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


def _region_id(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Region.id).where(Region.code == code))


def _submit(page, form_selector):
    with page.expect_navigation():
        page.click(f"{form_selector} button[type=submit], {form_selector} input[type=submit]")


def _slips(page) -> dict[str, str]:
    """username -> one-time password, read off the printed slips."""
    usernames = page.locator(".slip-username").all_inner_texts()
    passwords = page.locator(".slip-password").all_inner_texts()
    return dict(zip(usernames, passwords))


def _first_sign_in(browser, url, username, password, new="county-pass-1"):
    """A new phone signs in with a slip and must choose its own password first."""
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(10_000)
    sign_in(page, url, username, password)
    assert page.url.endswith("/password") and page.locator("#must-change").count() == 1
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", new)
    page.fill("input[name=confirm]", new)
    _submit(page, "main form")
    assert not page.url.endswith("/password")
    return page


def test_a_county_from_an_empty_database(empty_server, browser, phone, tmp_path):
    app, url = empty_server.app, empty_server.url
    runner = app.test_cli_runner()
    # 1-2. No administrator: the hint says how to make one; the command makes it.
    assert "users create admin --role admin" in runner.invoke(args=["first-run-hint"]).output
    result = runner.invoke(args=["users", "create", "admin", "--role", "admin"],
                           input="Mingxi-clerk-2026\nMingxi-clerk-2026\n")
    assert result.exit_code == 0, result.output
    errors = []  # script errors and CSP violations on the administrator's pages
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(phone, url, "admin", "Mingxi-clerk-2026")
    assert phone.locator("#first-steps").count() == 1

    # 3. The county's places from a spreadsheet of division codes: preview, then confirm.
    phone.goto(f"{url}/regions/import")
    phone.set_input_files("input[name=file]", str(FIXTURE))
    _submit(phone, "form[enctype]")
    assert phone.locator("#import-new").count() == 1 and has_no_horizontal_scroll(phone)
    _submit(phone, "form[action$='/regions/import/confirm']")
    county = _region_id(app, "350421000000")
    luocui, danshang = _region_id(app, "350421200201"), _region_id(app, "350421200202")
    assert county and luocui and danshang

    # 4. Committees for every village and officials, with printed slips.
    phone.goto(f"{url}/accounts/bulk?region={county}")
    phone.select_option("select[name=kind]", "committees")
    _submit(phone, "main form")
    committees = _slips(phone)
    assert len(committees) == 9 and phone.locator(".slip svg").count() == 9
    phone.goto(f"{url}/accounts/bulk?region={county}")
    phone.select_option("select[name=kind]", "officials")
    _submit(phone, "main form")
    officials = _slips(phone)
    assert has_no_horizontal_scroll(phone)
    phone.goto(f"{url}/regions/{county}/manage")
    assert errors == []

    # 5. 罗翠村 writes its rulebook; the county publishes it as the template.
    luocui_page = _first_sign_in(browser, url, f"c{luocui}", committees[f"c{luocui}"])
    luocui_page.goto(f"{url}/ledger/rulebook")
    luocui_page.fill("input[name=name]", "乡风文明")
    _submit(luocui_page, "form[action*='/rulebook/categories']")
    luocui_page.goto(f"{url}/ledger/rulebook/new")
    luocui_page.fill("input[name=code]", "XF01")
    luocui_page.fill("input[name=name]", "好人好事")
    luocui_page.fill("input[name=points]", "10")
    _submit(luocui_page, "main form")
    official = _first_sign_in(browser, url, f"o{county}", officials[f"o{county}"])
    official.goto(f"{url}/regions/{county}/templates")
    official.select_option("select[name=village_id]", str(luocui))
    official.fill("input[name=name]", "明溪县积分细则")
    _submit(official, "main form")
    assert "明溪县积分细则" in official.locator("#template-list").inner_text()

    # 6. 旦上村 adopts it, imports its households and makes their accounts.
    committee = _first_sign_in(browser, url, f"c{danshang}", committees[f"c{danshang}"])
    committee.goto(f"{url}/regions/templates")
    _submit(committee, "form[action*='/adopt']")
    assert "好人好事" in committee.content()
    households = tmp_path / "旦上村.csv"
    households.write_text("户号,户主,人口\n0001,王大明,4\n0002,李小红,3\n", encoding="utf-8")
    committee.goto(f"{url}/households/import")
    committee.set_input_files("input[name=file]", str(households))
    _submit(committee, "form[enctype]")
    _submit(committee, "form[action*='/import/confirm']")
    committee.goto(f"{url}/accounts/bulk")
    _submit(committee, "main form")
    household_slips = _slips(committee)
    assert sorted(household_slips) == [f"h{danshang}-0001", f"h{danshang}-0002"]

    # 7. An award, confirmed, and the household sees it on its own phone.
    committee.goto(f"{url}/ledger/award")
    committee.fill("input[name=household_number]", "0001")
    with committee.expect_navigation():
        committee.click("button[name=target][value=household]")
    _submit(committee, "form[action*='/award/confirm']")
    own = _first_sign_in(browser, url, f"h{danshang}-0001", household_slips[f"h{danshang}-0001"])
    own.goto(f"{url}/me")
    assert own.locator("#balance").inner_text().strip() == "10"
    assert "好人好事" in own.content() and has_no_horizontal_scroll(own)
    with app.app_context():
        assert db.session.scalar(sa.select(Household.balance).where(
            Household.village_id == danshang, Household.number == "0001")) == 10
    assert re.search(r"ok", runner.invoke(args=["ledger", "verify"]).output)
