"""Demo ledger: a rulebook per demo village and a year of awards, deductions and redemptions.

Entries go in through services.import_entries, which keeps balance and score equal to the
ledger (`flask ledger verify` stays clean). Synthetic benchmark villages get no history.
"""
import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.demo.places import HOME_VILLAGE, PLACES, by_another_member
from app.extensions import db
from app.ledger import services
from app.demo.shop import Sales
from app.models import (Claim, Household, LedgerEntry, Objection, Region, RefType, Rule,
                        RuleCategory, Shop, User)
from app.models.ledger import EntryKind

# (category, [(code, name, points, limit_count, limit_period)])
RULEBOOK = [
    ("乡风文明", [("XF01", "好人好事", 10, None, None), ("XF02", "移风易俗，婚事新办丧事简办", 20, 1, "year"),
              ("XF03", "邻里和睦，主动调解纠纷", 5, 2, "month"), ("XF04", "获评文明家庭", 50, 1, "year")]),
    ("环境卫生", [("HJ01", "房前屋后干净整洁", 2, 1, "day"), ("HJ02", "垃圾分类投放", 1, 1, "day"),
              ("HJ03", "参加村庄大扫除", 5, None, None)]),
    ("孝老爱亲", [("XL01", "照顾孤寡老人", 10, 4, "month"), ("XL02", "获评好媳妇好婆婆", 30, 1, "year"),
              ("XL03", "赡养老人尽心尽责", 5, 1, "month")]),
    ("参与议事", [("YS01", "参加夜谈会", 5, 1, "event"), ("YS02", "提出的问题得到解决", 10, None, None),
              ("YS03", "提出合理化建议被采纳", 8, None, None)]),
    ("志愿服务", [("ZY01", "参加志愿服务活动", 5, None, None), ("ZY02", "参与防汛抗灾", 15, None, None),
              ("ZY03", "义务献血", 20, 1, "year")]),
    ("违规扣分", [("KF01", "乱扔垃圾", -5, None, None), ("KF02", "乱搭乱建", -30, None, None),
              ("KF03", "焚烧秸秆", -20, None, None), ("KF04", "不赡养老人", -50, None, None)]),
]
NOTES = ["村委会登记", "网格长推荐", "群众反映属实", "夜谈会上表扬", ""]


def _rulebook(village: Region) -> list[Rule]:
    rules = []
    for order, (category_name, lines) in enumerate(RULEBOOK):
        category = RuleCategory(village_id=village.id, name=category_name, sort_order=order)
        db.session.add(category)
        db.session.flush()
        for code, name, points, count, period in lines:
            rules.append(Rule(village_id=village.id, category_id=category.id, code=code, name=name,
                              points=points, limit_count=count, limit_period=period, active=True))
    db.session.add_all(rules)
    db.session.flush()
    return rules


def _year(village: Region, rules: list[Rule], actor_id, rng: random.Random, now: datetime,
          sales=None) -> list[dict]:
    """A year of entries for every household, in time order, never overdrawn by redemptions.

    With `sales` (app/demo/shop.py) spending is real shop redemptions in the last month.
    """
    awards = [r for r in rules if r.points > 0]
    deductions = [r for r in rules if r.points < 0]
    rows = []
    households = db.session.scalars(sa.select(Household).where(Household.village_id == village.id)
                                    .order_by(Household.number)).all()
    for household in households:
        events = []
        for _ in range(rng.randint(8, 40)):
            rule = rng.choice(deductions) if rng.random() < 0.08 else rng.choice(awards)
            events.append((now - timedelta(days=rng.uniform(3, 365)), rule))
        balance = 0
        for at, rule in sorted(events, key=lambda e: e[0]):
            note = rng.choice(NOTES) if rule.points > 0 else "村委会核实：" + rule.name
            rows.append(dict(household_id=household.id, village_id=village.id, points=rule.points,
                             kind=EntryKind.AWARD if rule.points > 0 else EntryKind.DEDUCTION, rule_id=rule.id,
                             note=note, actor_id=actor_id, created_at=at))
            balance += rule.points
            sale_at = at + timedelta(hours=2)
            if sales is not None:
                # The village with a shop: real redemptions with lines, in the last month.
                sold = (sales.sell(household.id, balance, sale_at)
                        if sale_at >= sales.since and balance > 30 and rng.random() < 0.6 else None)
                if sold:
                    sale_id, cost, what = sold
                    rows.append(dict(household_id=household.id, village_id=village.id, points=-cost,
                                     kind=EntryKind.REDEMPTION, ref_type=RefType.REDEMPTION,
                                     ref_id=sale_id,
                                     note=what, actor_id=sales.keeper_id, created_at=sale_at))
                    balance -= cost
            elif balance > 60 and rng.random() < 0.15:
                cost = rng.randint(10, balance // 2)
                rows.append(dict(household_id=household.id, village_id=village.id, points=-cost,
                                 kind=EntryKind.REDEMPTION, note="积分超市兑换", actor_id=actor_id,
                                 created_at=at + timedelta(hours=2)))
                balance -= cost
    return rows


def load_history(rng: random.Random) -> None:
    """Rulebooks and a year of history for the five demo villages; nothing for synthetic ones."""

    now = datetime.now(UTC)
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    committee = users.get("committee")
    home_rules = []
    sales = []
    for _county, _township, name, _count in PLACES:
        village = db.session.scalar(sa.select(Region).where(Region.name == name))
        rules = _rulebook(village)
        actor_id = committee.id if name == HOME_VILLAGE and committee else None
        shop = db.session.scalar(sa.select(Shop).where(Shop.village_id == village.id).limit(1))
        if shop is not None:
            keeper = users.get("shop")
            sales.append(Sales(shop, keeper.id if keeper else None, actor_id, rng, now))
        rows = _year(village, rules, actor_id, rng, now, sales[-1] if shop is not None else None)
        rows.sort(key=lambda row: row["created_at"])  # ids follow time, as in real use
        services.import_entries(by_another_member(rows, users))
        if name == HOME_VILLAGE:
            home_rules = rules
    _home_extras(users, home_rules, rng, now)
    for shop_sales in sales:
        shop_sales.finish()


def _home_extras(users: dict, rules: list[Rule], rng: random.Random, now: datetime) -> None:
    """罗翠村: the demo household above 200 points, a few reversals, open claims, one objection."""
    by_code = {r.code: r for r in rules}
    household = users["household"].household
    committee_id = users["committee"].id
    recent = [dict(household_id=household.id, village_id=household.village_id,
                   points=by_code[code].points, kind=EntryKind.AWARD, rule_id=by_code[code].id,
                   note=note, actor_id=committee_id, created_at=now - timedelta(days=days))
              for code, note, days in [("XF04", "2025年度文明家庭", 2), ("YS02", "反映的路灯问题已修好", 1),
                                       ("ZY02", "参与防汛抗灾", 1), ("YS01", "参加11月夜谈会", 0.5)]]
    rows_needed = max(0, 260 - household.balance - sum(r["points"] for r in recent))
    extra = [dict(household_id=household.id, village_id=household.village_id, points=10,
                  kind=EntryKind.AWARD, rule_id=by_code["XF01"].id, note="好人好事", actor_id=committee_id,
                  created_at=now - timedelta(days=10 + i))
             for i in range(-(-rows_needed // 10))]
    services.import_entries(sorted(extra, key=lambda r: r["created_at"]) + recent)
    village_id = household.village_id
    # A few corrections, as real committees make them.
    wrong = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.village_id == village_id, LedgerEntry.kind == EntryKind.DEDUCTION,
        LedgerEntry.household_id != household.id).order_by(LedgerEntry.id).limit(3)).all()
    services.import_entries(by_another_member([dict(household_id=e.household_id, village_id=e.village_id,
                                  points=-e.points, kind=EntryKind.REVERSAL, rule_id=e.rule_id,
                                  note="核实有误，撤销扣分", actor_id=committee_id,
                                  reverses_id=e.id, created_at=now - timedelta(days=1))
                             for e in wrong], users))
    others = db.session.scalars(sa.select(Household).where(Household.village_id == village_id)
                                .order_by(Household.number).offset(1).limit(3)).all()
    for other, (code, text) in zip(others, [("ZY01", "参加重阳节敬老志愿服务"), ("XL01", "照顾隔壁独居老人"),
                                            ("HJ03", "参加村庄大扫除")]):
        db.session.add(Claim(household_id=other.id, rule_id=by_code[code].id, description=text,
                             status="pending", submitted_by=users.get("household2").id
                             if other.id == users["household2"].household_id else None))
    objected = db.session.scalar(sa.select(LedgerEntry).where(
        LedgerEntry.household_id == household.id, LedgerEntry.rule_id == by_code["YS01"].id)
        .order_by(LedgerEntry.id.desc()).limit(1))
    db.session.add(Objection(entry_id=objected.id, household_id=household.id, status="open",
                             reason="那次夜谈会我家去了两个人，还提了问题，应按提出问题加分"))
    db.session.flush()


SQLITE_GUARDS = {
    "ledger_entries_no_update": "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON "
    "ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
    "ledger_entries_no_delete": "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON "
    "ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END",
}


@contextmanager
def append_only_lifted():
    """For `demo-data --force` only: let the demo's clear_all delete entries, in its transaction."""
    dialect = db.session.get_bind().dialect.name
    # The same triggers as the migration; dropping them is transactional on both databases.
    if dialect == "sqlite":
        for name in SQLITE_GUARDS:
            db.session.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
    elif dialect == "postgresql":
        db.session.execute(sa.text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
    try:
        yield
    finally:
        if dialect == "sqlite":
            for statement in SQLITE_GUARDS.values():
                db.session.execute(sa.text(statement))
        elif dialect == "postgresql":
            db.session.execute(sa.text("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only"))
