"""The regions' points by rule category (figure_region_points) and the chart that reads them equal
a direct computation from the ledger, by each village's place now and each rule's category now:
after awards, deductions, reversals (one of an earlier month), a bulk import with a reversal,
a rule moved to another category and villages moved to other townships and counties; for a
township, a county, a city, a county standing at the root and everything (the administrator);
under racing writers, a move and a category change at once; after random sequences of all of
these (Hypothesis); `flask figures verify` finds a wrong row and `rebuild` mends it; the
migration's backfill equals the recount."""
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app import create_app
from app.errors import DomainError
from app.extensions import db
from app.figures import charts, region_points, rule_points
from app.figures.rollup import month_of
from app.ledger import rules, services
from app.models import FigureRegionPoints, LedgerEntry, Region, RegionLevel, Rule, RuleCategory
from app.models.ledger import RULE_KINDS
from app.regions import manage
from app.regions.services import add_regions
from tests import factories
from tests.races import race

NOW = datetime.now(UTC)
FIRST, LAST = (NOW - timedelta(days=500)).date(), NOW.date()
_worlds = itertools.count(1)


@dataclass
class World:
    """A city of two counties (甲县: 一镇 with two villages, 二镇 with one; 乙县: 三镇 with one)
    and a county standing at the root with one village; every village has the categories
    乡风文明 and 环境卫生 (the same names: one bar each), the first also 其他; a rule of +5 and
    one of -3 in each category; two households a village."""
    admin: object
    city: Region
    counties: list
    townships: list
    villages: list
    root_county: Region
    houses: dict  # village id -> [household ids]
    rules: dict  # village id -> {(category name, points): rule id}
    categories: dict  # village id -> {name: category id}


def make_world(n: int = 0) -> World:
    city, county, one, (v1, v2) = factories.region_tree(villages=(f"一村{n}", f"二村{n}"))
    (two,) = add_regions([(f"二镇{n}", RegionLevel.TOWNSHIP, county)])
    (v3,) = add_regions([(f"三村{n}", RegionLevel.VILLAGE, two)])
    (other,) = add_regions([(f"乙县{n}", RegionLevel.COUNTY, city)])
    (three,) = add_regions([(f"三镇{n}", RegionLevel.TOWNSHIP, other)])
    (v4,) = add_regions([(f"四村{n}", RegionLevel.VILLAGE, three)])
    (alone,) = add_regions([(f"独立县{n}", RegionLevel.COUNTY, None)])
    (alone_town,) = add_regions([(f"独立镇{n}", RegionLevel.TOWNSHIP, alone)])
    (v5,) = add_regions([(f"五村{n}", RegionLevel.VILLAGE, alone_town)])
    db.session.commit()
    admin = factories.user(f"points-admin{n}", "admin")
    villages = [v1, v2, v3, v4, v5]
    houses, made_rules, categories = {}, {}, {}
    for village in villages:
        houses[village.id] = [factories.household(village).id for _ in range(2)]
        names = ("乡风文明", "环境卫生") + (("其他",) if village is v1 else ())
        categories[village.id] = {name: rules.create_category(admin, village.id, name).id
                                  for name in names}
        made_rules[village.id] = {
            (name, p): rules.create_rule(admin, village.id, cid, f"{name[:1]}{p:+d}", f"{name}{p}", p).id
            for name, cid in categories[village.id].items() for p in (5, -3)}
    return World(admin, city, [county, other], [one, two, three], villages, alone, houses,
                 made_rules, categories)


def direct(*roots) -> list[dict[str, int]]:
    """For each root (None: everything), {category name: points} under it from FIRST to LAST,
    counted here entry by entry from the ledger, by the villages' places and the rules'
    categories now."""
    db.session.expire_all()
    paths = dict(db.session.execute(sa.select(Region.id, Region.path)
                                    .where(Region.level == RegionLevel.VILLAGE)).all())
    names = {r.id: r.category.name for r in db.session.scalars(sa.select(Rule))}
    entries = {e.id: e for e in db.session.scalars(sa.select(LedgerEntry))}
    span = (FIRST.year * 100 + FIRST.month, LAST.year * 100 + LAST.month)
    sums: Counter = Counter()  # (village, category) -> points
    for entry in entries.values():
        source = entries[entry.reverses_id] if entry.reverses_id else entry
        if (source.kind in RULE_KINDS and source.rule_id is not None
                and span[0] <= month_of(source.created_at) <= span[1]):
            sums[source.village_id, names[source.rule_id]] += entry.points
    found = []
    for root in roots:
        under: Counter = Counter()
        for (village, name), n in sums.items():
            if root is None or paths[village].startswith(root.path):
                under[name] += n
        found.append({name: n for name, n in under.items() if n})
    return found


def chart(root) -> dict[str, int]:
    """The chart's bars (their order is the database's collation's)."""
    return dict(charts.points_by_category(root, FIRST, LAST))


def agrees(w: World, everything: bool = True) -> None:
    """The chart of every region of the world (and of everything) equals the ledger; the stored
    rows of its regions equal their recount from the points by rule, which equal the ledger.
    (Without `everything`, only this world's rows are compared: a machine's earlier world
    found wrong would fail every later step otherwise.)"""
    places = [db.session.get(Region, r.id) for r in
              [w.city, w.root_county, *w.counties, *w.townships, *w.villages]]
    roots = ([None] if everything else []) + places
    assert [chart(root) for root in roots] == direct(*roots)
    ids = {p.id for p in places}
    mine = lambda rows: {k: n for k, n in rows.items() if k[0] in ids}  # noqa: E731
    assert mine(region_points.stored()) == mine(region_points.expected())
    assert mine(rule_points.stored()) == mine(rule_points.expected())
    if everything:
        assert region_points.verify() == [] and rule_points.verify() == []


def award(w: World, village: Region, name: str, points: int, house: int = 0) -> LedgerEntry:
    (entry,) = services.award(w.admin, [w.houses[village.id][house]],
                              w.rules[village.id][name, points], "因")
    return entry


def test_the_chart_equals_the_ledger_after_every_kind_of_change(app, runner):
    w = make_world()
    v1, v2, v3, v4, v5 = w.villages
    first = award(w, v1, "乡风文明", 5)
    award(w, v1, "环境卫生", -3, house=1)
    award(w, v2, "乡风文明", 5)
    award(w, v3, "环境卫生", 5)
    award(w, v4, "乡风文明", -3)
    award(w, v5, "乡风文明", 5)
    reversed_ = award(w, v2, "环境卫生", 5)
    services.reverse(w.admin, reversed_.id, "记错")
    agrees(w)
    assert chart(w.city) == {"乡风文明": 5 + 5 - 3, "环境卫生": -3 + 5}

    # back-dated entries in bulk, one a reversal of an entry of this month and another of last year
    earlier = NOW - timedelta(days=400)
    services.import_entries([
        dict(household_id=w.houses[v1.id][0], village_id=v1.id, points=5, kind="award",
             rule_id=w.rules[v1.id]["其他", 5], note="补录", created_at=earlier),
        dict(household_id=w.houses[v3.id][0], village_id=v3.id, points=-3, kind="deduction",
             rule_id=w.rules[v3.id]["乡风文明", -3], note="补录", created_at=earlier),
        dict(household_id=w.houses[v1.id][0], village_id=v1.id, points=-5, kind="reversal",
             rule_id=w.rules[v1.id]["乡风文明", 5], reverses_id=first.id, note="撤",
             created_at=NOW)])
    db.session.commit()
    agrees(w)
    old = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.village_id == v1.id,
                                                         LedgerEntry.note == "补录"))
    services.reverse(w.admin, old.id, "撤去年的")
    award(w, v1, "其他", -3)
    agrees(w)

    # a rule moved to another category takes every month's points with it, in every region
    moved_rule = w.rules[v1.id]["环境卫生", -3]
    before = chart(w.city)
    rules.update_rule(w.admin, moved_rule, category_id=w.categories[v1.id]["其他"])
    after = chart(w.city)
    assert after["环境卫生"] == before["环境卫生"] + 3 and after["其他"] == before.get("其他", 0) - 3
    agrees(w)
    rules.update_rule(w.admin, moved_rule, name="改名不改类")  # no category change: nothing moves
    agrees(w)

    # a village moved to another township of its county, then to another county's township
    manage.move_village(w.admin, db.session.get(Region, v2.id), w.townships[1])
    agrees(w)
    manage.move_village(w.admin, db.session.get(Region, v1.id), w.townships[2])
    agrees(w)
    assert chart(w.townships[0]) == {}  # 一镇 has no village left
    # points given after the move count in the village's new regions
    award(w, v1, "乡风文明", 5, house=1)
    manage.merge_villages(w.admin, db.session.get(Region, v2.id), db.session.get(Region, v3.id))
    award(w, v3, "乡风文明", 5, house=1)
    agrees(w)

    # `flask figures verify` finds a wrong row, `rebuild` mends it
    kept = region_points.stored()
    row = db.session.scalars(sa.select(FigureRegionPoints).where(
        FigureRegionPoints.region_id == w.counties[0].id, FigureRegionPoints.points != 0)).first()
    row.points += 7
    db.session.commit()
    wrong = region_points.verify()
    assert len(wrong) == 1 and f"region {w.counties[0].id} month {row.month}" in wrong[0], wrong
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "MISMATCH region" in result.output
    rebuilt = runner.invoke(args=["figures", "rebuild"])
    assert rebuilt.exit_code == 0
    assert f"rebuilt {len(kept)} region, month and category row(s)" in rebuilt.output, rebuilt.output
    assert region_points.stored() == kept and region_points.verify() == []
    assert runner.invoke(args=["figures", "verify"]).exit_code == 0


def test_a_village_chart_and_its_township_chart_agree(app):
    """A township of one village shows the village's bars: both leave a category that nets to
    nothing out (the summary's rows do not say whether a zero was ever given)."""
    w = make_world()
    v3 = w.villages[2]
    award(w, v3, "乡风文明", 5)
    services.reverse(w.admin, award(w, v3, "环境卫生", 5).id, "撤")
    assert chart(v3) == chart(w.townships[1]) == {"乡风文明": 5} == direct(v3)[0]


def test_racing_awards_a_move_and_a_category_change_keep_the_regions_right(app):
    """Awards in a village (separate sessions), its move to another county's township and its
    rule's move to another category, all at once: no point is lost or counted twice."""
    w = make_world()
    v1 = w.villages[0]
    award(w, v1, "乡风文明", 5)
    ids = {"admin": w.admin.id, "village": v1.id, "to": w.townships[2].id,
           "rule": w.rules[v1.id]["乡风文明", 5], "category": w.categories[v1.id]["其他"],
           "houses": w.houses[v1.id]}
    db.session.commit()

    def work(i):
        from app.models import User

        admin = db.session.get(User, ids["admin"])
        try:
            if i == 1:
                return manage.move_village(admin, db.session.get(Region, ids["village"]),
                                           db.session.get(Region, ids["to"])).id
            if i == 2:
                return rules.update_rule(admin, ids["rule"], category_id=ids["category"]).id
            return services.award(admin, [ids["houses"][i % 2]], ids["rule"], f"抢{i}")[0].id
        except DomainError as error:
            return error

    results = race(app, work, threads=10)
    assert not [r for r in results if isinstance(r, Exception)], results
    agrees(w)
    assert chart(w.townships[2]) == {"其他": 5 * (1 + 8)}  # the first award and eight racing


SETTINGS = settings(max_examples=10, stateful_step_count=15, deadline=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=list(HealthCheck))
NAMES = ("乡风文明", "环境卫生", "其他")


class RegionPointsMachine(RuleBasedStateMachine):
    """Random awards, deductions, reversals, back-dated imports, category changes and village
    moves in one world; after each, the stored table equals its recount and every region's
    chart equals the ledger."""

    def __init__(self):
        super().__init__()
        self.w = make_world(next(_worlds))
        self.open: list[int] = []

    def _village(self, i: int) -> Region:
        return db.session.get(Region, self.w.villages[i].id)

    def _rule(self, village: Region, name: str, points: int) -> int:
        chosen = self.w.rules[village.id]
        return chosen.get((name, points)) or chosen["乡风文明", points]

    @rule(i=st.integers(0, 4), name=st.sampled_from(NAMES), points=st.sampled_from([5, -3]),
          house=st.integers(0, 1))
    def award(self, i, name, points, house):
        village = self._village(i)
        (entry,) = services.award(self.w.admin, [self.w.houses[village.id][house]],
                                  self._rule(village, name, points), "因")
        self.open.append(entry.id)

    @rule(data=st.data())
    def reverse(self, data):
        if self.open:
            entry_id = data.draw(st.sampled_from(sorted(self.open)))
            services.reverse(self.w.admin, entry_id, "撤")
            self.open.remove(entry_id)

    @rule(i=st.integers(0, 4), name=st.sampled_from(NAMES), points=st.sampled_from([5, -3]),
          days=st.integers(1, 450), reverse_one=st.booleans())
    def import_earlier(self, i, name, points, days, reverse_one):
        village = self._village(i)
        rows = [dict(household_id=self.w.houses[village.id][0], village_id=village.id, points=points,
                     kind="award" if points > 0 else "deduction", note="补录",
                     rule_id=self._rule(village, name, points),
                     created_at=NOW - timedelta(days=days, minutes=days % 7 * 97))]
        if reverse_one and self.open:
            original = db.session.get(LedgerEntry, self.open.pop(0))
            rows.append(dict(household_id=original.household_id, village_id=original.village_id,
                             points=-original.points, kind="reversal", rule_id=original.rule_id,
                             reverses_id=original.id, note="导入撤销", created_at=NOW))
        services.import_entries(rows)
        db.session.commit()

    @rule(i=st.integers(0, 4), points=st.sampled_from([5, -3]), name=st.sampled_from(NAMES))
    def recategorise(self, i, points, name):
        village = self._village(i)
        categories = self.w.categories[village.id]
        rules.update_rule(self.w.admin, self.w.rules[village.id]["乡风文明", points],
                          category_id=categories.get(name, categories["环境卫生"]))

    @rule(i=st.integers(0, 3), j=st.integers(0, 2))
    def move(self, i, j):
        village, township = self._village(i), db.session.get(Region, self.w.townships[j].id)
        if village.parent_id != township.id:
            manage.move_village(self.w.admin, village, township)

    @invariant()
    def regions_equal_the_ledger(self):
        agrees(self.w, everything=False)


def test_random_writes_keep_the_regions_equal_to_the_recount(app):
    run_state_machine_as_test(RegionPointsMachine, settings=SETTINGS)


def test_upgrade_backfills_the_regions_points_by_category(tmp_path):
    """The migration fills the table from the points by rule already there: each village's rows
    added to every region above it under its rule's category name, as the recount does."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="d4f6a8c0e2b1")
        city, county, township, (v1, v2) = factories.region_tree_before_sort_keys()
        (other,) = factories.regions_before_sort_keys([("他镇", RegionLevel.TOWNSHIP, county)])
        (v3,) = factories.regions_before_sort_keys([("丙村", RegionLevel.VILLAGE, other)])
        found = {}
        for village, names in ((v1, ("乡风文明", "环境卫生")), (v2, ("乡风文明",)), (v3, ("环境卫生",))):
            for name in names:
                category = RuleCategory(village_id=village.id, name=name)
                db.session.add(category)
                db.session.flush()
                found[village.id, name] = Rule(village_id=village.id, category_id=category.id,
                                               code=name, name=name, points=5)
                db.session.add(found[village.id, name])
        db.session.flush()
        found = {key: r.id for key, r in found.items()}
        rows = [(v1, "乡风文明", 202601, 30), (v1, "环境卫生", 202601, -10), (v2, "乡风文明", 202601, 5),
                (v2, "乡风文明", 202602, 7), (v3, "环境卫生", 202601, 4), (v3, "环境卫生", 202603, 0)]
        for village, name, month, points in rows:
            db.session.execute(sa.text("INSERT INTO figure_points (village_id, month, rule_id, points) "
                                       "VALUES (:v, :m, :r, :p)"),
                               {"v": village.id, "m": month, "r": found[village.id, name], "p": points})
        db.session.commit()
        upgrade()
        stored = region_points.stored()
        assert stored == region_points.expected() and region_points.verify() == []
        assert stored[township.id, 202601, "乡风文明"] == 35 and stored[city.id, 202601, "环境卫生"] == -6
        assert (other.id, 202603, "环境卫生") not in stored  # nothing kept for a zero
        assert stored[county.id, 202602, "乡风文明"] == 7
        db.engine.dispose()
