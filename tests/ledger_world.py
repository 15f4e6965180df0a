"""A small village world for the ledger tests: two villages, households, accounts, rules."""
from types import SimpleNamespace

from app.ledger import rules
from tests import factories


def make_world():
    """Village 甲村 with a committee, three households and rules; 乙村 with one household."""
    _city, _county, _township, (home, other) = factories.region_tree()
    grid = factories.grid(home)
    h1 = factories.household(home, grid_obj=grid, head_name="一户")
    h2 = factories.household(home, grid_obj=grid, head_name="二户")
    h3 = factories.household(home, head_name="三户")
    far = factories.household(other, head_name="外村")
    committee = factories.user("committee", "committee", region_id=home.id)
    other_committee = factories.user("committee2", "committee", region_id=other.id)
    admin = factories.user("admin", "admin")
    h1_user = factories.user("h1", "household", household_id=h1.id)
    h2_user = factories.user("h2", "household", household_id=h2.id)
    leader = factories.user("leader", "grid_leader", grid_id=grid.id)
    cat = rules.create_category(committee, home.id, "乡风文明")
    good = rules.create_rule(committee, home.id, cat.id, "A01", "好人好事", 10)
    big = rules.create_rule(committee, home.id, cat.id, "A02", "见义勇为", 100)
    daily = rules.create_rule(committee, home.id, cat.id, "A03", "打扫卫生", 2,
                                 limit_count=1, limit_period="day")
    per_event = rules.create_rule(committee, home.id, cat.id, "A04", "参加夜谈会", 5,
                                     limit_count=1, limit_period="event")
    bad = rules.create_rule(committee, home.id, cat.id, "D01", "乱扔垃圾", -20)
    other_cat = rules.create_category(other_committee, other.id, "乡风文明")
    other_rule = rules.create_rule(other_committee, other.id, other_cat.id, "A01", "好人好事", 10)
    return SimpleNamespace(**locals())
