"""The demo city's places: Sanming's five named places, their households, grids, shop and accounts.

`extra_villages` adds synthetic counties, townships and villages for benchmarks of a whole city.
Everything is drawn from a seeded random generator, so two runs give the same city.
"""
import random

import sqlalchemy as sa

from app.extensions import db
from app.models import Grid, Household, Region, RegionLevel, Role, Shop, User
from app.regions.services import add_regions

DEMO_PASSWORD = "lianxin-demo"
SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢罗邱曾廖赖徐周叶苏庄江何胡朱高钟施卢余肖魏涂傅"
GIVEN = "福金德明华建国永清秀春兰美英志文荣贵宝水木火土发长生海平安祥瑞梅玉芳桂珍凤丽红霞勇强军伟"
# (county, township, village, households); 罗翠村's 85 households are the source's figure.
PLACES = [
    ("三元区", "荆西街道", "荆西社区", None),
    ("三元区", "城关街道", "芙蓉社区", None),
    ("永安市", "小陶镇", "五一村", None),
    ("明溪县", "城关乡", "罗翠村", 85),
    ("沙县区", "虬江街道", "翠绿社区", None),
]
HOME_VILLAGE = "罗翠村"
OUTSIDER_VILLAGE = "五一村"


def database_is_empty() -> bool:
    """True when no region and no account exists yet."""
    return db.session.scalar(sa.select(sa.func.count(Region.id))) == 0 and \
        db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _households(village: Region, count: int, rng: random.Random) -> list[dict]:
    """Rows for a village's households, put into grids of 10 to 30."""
    grids, left, n = [], count, 1
    while left > 0:
        size = min(left, rng.randint(10, 30))
        grids.append((f"第{n}网格", size))
        left, n = left - size, n + 1
    grid_rows = [Grid(village_id=village.id, name=name) for name, _size in grids]
    db.session.add_all(grid_rows)
    db.session.flush()
    rows, number = [], 1
    for grid, (_name_, size) in zip(grid_rows, grids):
        for _ in range(size):
            rows.append({
                "village_id": village.id, "grid_id": grid.id, "number": f"{number:04d}",
                "head_name": _name(rng), "members": rng.randint(1, 7),
                "address": f"{village.name}{rng.randint(1, 12)}组{rng.randint(1, 60)}号",
                "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                "active": True, "balance": 0, "score": 0,
            })
            number += 1
    return rows


def build(rng: random.Random, extra_villages: int = 0, households_per_village: int = 410) -> int:
    """Create the demo city, its households, shop and accounts; returns the number of villages."""
    (city,) = add_regions([("三明市", RegionLevel.CITY, None)])
    counties: dict[str, Region] = {}
    townships: dict[tuple, Region] = {}
    villages: dict[str, Region] = {}
    for county, township, village, _n in PLACES:
        if county not in counties:
            counties[county] = add_regions([(county, RegionLevel.COUNTY, city)])[0]
        if (county, township) not in townships:
            townships[(county, township)] = add_regions(
                [(township, RegionLevel.TOWNSHIP, counties[county])])[0]
        villages[village] = add_regions([(village, RegionLevel.VILLAGE,
                                          townships[(county, township)])])[0]
    household_rows = []
    for _county, _township, name, count in PLACES:
        household_rows += _households(villages[name], count or rng.randint(40, 80), rng)
    db.session.execute(sa.insert(Household), household_rows)
    shop = Shop(village_id=villages[HOME_VILLAGE].id, name="罗翠村积分超市")
    db.session.add(shop)
    db.session.flush()
    _accounts(city, villages, shop)
    return len(villages) + _synthetic(city, extra_villages, households_per_village, rng)


def _first_household(village: Region, offset: int = 0) -> Household:
    return db.session.scalars(sa.select(Household).where(Household.village_id == village.id)
                              .order_by(Household.number).offset(offset).limit(1)).one()


def _accounts(city: Region, villages: dict[str, Region], shop: Shop) -> None:
    """The demo accounts of CONTRACT.md, all with the demo password."""
    home = villages[HOME_VILLAGE]
    first_grid = db.session.scalars(sa.select(Grid).where(Grid.village_id == home.id)
                                    .order_by(Grid.id).limit(1)).one()
    specs = [
        ("admin", Role.ADMIN, {}, "系统管理员"),
        ("city", Role.OFFICIAL, {"region_id": city.id}, "三明市民政局"),
        # The committee member lives in 罗翠村 too: the ledger refuses to let them award it.
        ("committee", Role.COMMITTEE, {"region_id": home.id,
                                       "household_id": _first_household(home, 2).id}, "罗翠村村委会"),
        # A second member, so the first member's own household still gets its points.
        ("committee2", Role.COMMITTEE, {"region_id": home.id}, "罗翠村村委会委员"),
        ("shop", Role.SHOP, {"shop_id": shop.id}, "罗翠村积分超市"),
        ("gridleader", Role.GRID_LEADER, {"grid_id": first_grid.id}, "第1网格长"),
        ("household", Role.HOUSEHOLD, {"household_id": _first_household(home).id}, ""),
        ("household2", Role.HOUSEHOLD, {"household_id": _first_household(home, 1).id}, ""),
        ("outsider", Role.HOUSEHOLD,
         {"household_id": _first_household(villages[OUTSIDER_VILLAGE]).id}, ""),
        # A responsible unit (责任单位) of 罗翠村's county: sees only the issues assigned to it.
        ("unit", Role.UNIT, {"region_id": home.ancestor_ids[-3]}, "明溪县水利局"),
    ]
    for username, role, scope, display in specs:
        user = User(username=username, role=role.value, display_name=display, **scope)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()


def _synthetic(city: Region, count: int, per_village: int, rng: random.Random) -> int:
    """Add `count` synthetic villages in counties of 15 townships of 10 villages."""
    made = 0
    county_no = 0
    while made < count:
        county_no += 1
        (county,) = add_regions([(f"模拟{county_no}县", RegionLevel.COUNTY, city)])
        for t in range(15):
            if made >= count:
                break
            (township,) = add_regions([(f"模拟{county_no}县{t + 1}镇", RegionLevel.TOWNSHIP, county)])
            size = min(10, count - made)
            new = add_regions([(f"{township.name}{v + 1}村", RegionLevel.VILLAGE, township)
                               for v in range(size)])
            for village in new:
                db.session.execute(sa.insert(Household),
                                   _households(village, per_village, rng))
            made += size
    return made


def by_another_member(rows: list[dict], users: dict) -> list[dict]:
    """Entries the first committee member would have made for their own household are made by
    `committee2`, as the ledger requires of live use (no one awards their own household)."""
    first, second = users.get("committee"), users.get("committee2")
    if first is None or second is None or first.household_id is None:
        return rows
    for row in rows:
        if row.get("household_id") == first.household_id and row.get("actor_id") == first.id:
            row["actor_id"] = second.id
    return rows
