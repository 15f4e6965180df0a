"""The committee awards points on a phone; the household sees the new balance and the reason."""
import sqlalchemy as sa

from app.extensions import db
from app.models import Household, Rule, User
from tests.e2e import has_no_horizontal_scroll, sign_in


def _facts(app):
    """household2's household and an active award rule of its village."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "household2"))
        household = db.session.get(Household, user.household_id)
        rule = db.session.scalar(sa.select(Rule).where(Rule.village_id == household.village_id,
                                                       Rule.active, Rule.points > 0,
                                                       Rule.limit_period.is_(None))
                                 .order_by(Rule.id).limit(1))
        db.session.expunge_all()
        return household, rule


def _balance(app, household_id):
    with app.app_context():
        return db.session.get(Household, household_id).balance


def test_committee_awards_and_household_sees_it(live_server, browser, phone, screenshots):
    household, rule = _facts(live_server.app)
    before = household.balance

    sign_in(phone, live_server.url, "committee")
    phone.goto(f"{live_server.url}/ledger/award")
    assert has_no_horizontal_scroll(phone)
    phone.select_option("select[name=rule_id]", str(rule.id))
    phone.fill("input[name=note], textarea[name=note]", "帮邻居修好了水管")
    phone.fill("input[name=household_number]", household.number)
    with phone.expect_navigation():
        phone.click("button[name=target][value=household]")

    # The confirmation shows who gets what, and nothing is written yet.
    assert phone.locator("#confirm-total").inner_text().strip() == f"+{rule.points}"
    assert household.head_name in phone.content()
    assert _balance(live_server.app, household.id) == before
    assert has_no_horizontal_scroll(phone)
    phone.screenshot(path=str(screenshots / "award-confirm-360.png"), full_page=True)
    with phone.expect_navigation():
        phone.click("form[action*='/award/confirm'] button[type=submit]")
    assert _balance(live_server.app, household.id) == before + rule.points

    # The household, on its own phone, sees the new balance and why.
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    try:
        own = context.new_page()
        sign_in(own, live_server.url, "household2")
        assert own.locator("#balance").inner_text().strip() == str(before + rule.points)
        assert "帮邻居修好了水管" in own.content() and rule.name in own.content()
        assert has_no_horizontal_scroll(own)
        own.screenshot(path=str(screenshots / "household2-me-360.png"), full_page=True)
    finally:
        context.close()
