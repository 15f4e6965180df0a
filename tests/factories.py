"""Small builders for test data; each returns committed objects."""
import itertools

from app.extensions import db
from app.models import Grid, Household, RegionLevel, Role, Shop, User
from app.regions.services import add_regions

PASSWORD = "secret-pass"
_numbers = itertools.count(1)


def region_tree(villages=("甲村", "乙村")):
    """A city > county > township > villages tree; returns (city, county, township, [villages])."""
    (city,) = add_regions([("测试市", RegionLevel.CITY, None)])
    (county,) = add_regions([("测试县", RegionLevel.COUNTY, city)])
    (township,) = add_regions([("测试镇", RegionLevel.TOWNSHIP, county)])
    made = add_regions([(name, RegionLevel.VILLAGE, township) for name in villages])
    db.session.commit()
    return city, county, township, made


def regions_before_sort_keys(specs):
    """add_regions() in a database migrated to a revision before regions.sort_key (a1540202c248),
    for the migrations' backfill tests: the ORM would write and read that column, so each region
    (name, level, parent) is inserted with the columns of that time and returned as an (id, name,
    path, level) namespace."""
    from types import SimpleNamespace

    import sqlalchemy as sa

    from app.regions.services import path_segment

    made = []
    for name, level, parent in specs:
        rid = db.session.execute(sa.text(
            "INSERT INTO regions (parent_id, name, level, path, active) "
            "VALUES (:parent, :name, :level, '', :active) RETURNING id"),
            {"parent": parent.id if parent else None, "name": name, "level": int(level),
             "active": True}).scalar_one()
        path = (parent.path if parent else "/") + path_segment(rid)
        db.session.execute(sa.text("UPDATE regions SET path = :path WHERE id = :id"),
                           {"path": path, "id": rid})
        made.append(SimpleNamespace(id=rid, name=name, path=path, level=level))
    db.session.commit()
    return made


def region_tree_before_sort_keys(villages=("甲村", "乙村")):
    """region_tree() by regions_before_sort_keys: (city, county, township, [villages])."""
    (city,) = regions_before_sort_keys([("测试市", RegionLevel.CITY, None)])
    (county,) = regions_before_sort_keys([("测试县", RegionLevel.COUNTY, city)])
    (township,) = regions_before_sort_keys([("测试镇", RegionLevel.TOWNSHIP, county)])
    return city, county, township, regions_before_sort_keys(
        [(name, RegionLevel.VILLAGE, township) for name in villages])


def village(name="丙村", township=None):
    """One village, under a new tree when no township is given."""
    if township is None:
        return region_tree(villages=(name,))[3][0]
    (made,) = add_regions([(name, RegionLevel.VILLAGE, township)])
    db.session.commit()
    return made


def grid(village_region, name=None):
    """A grid in a village."""
    made = Grid(village_id=village_region.id, name=name or f"网格{next(_numbers)}")
    db.session.add(made)
    db.session.commit()
    return made


def household(village_region, number=None, head_name="张三", grid_obj=None, **fields):
    """A household in a village."""
    made = Household(village_id=village_region.id, number=number or f"{next(_numbers):04d}",
                     head_name=head_name, members=fields.pop("members", 3),
                     grid_id=grid_obj.id if grid_obj else None, **fields)
    db.session.add(made)
    from app.figures import rollup

    # As the register's service does: the figures' count of the village's active households
    # and the people in them.
    if fields.get("active") is not False:
        rollup.households(village_region.id, 1, made.members)
    db.session.commit()
    return made


def household_before_people(village_region, number="0001", head_name="张三"):
    """A household inserted without the figures' counters, for the migrations' backfill tests at
    revisions before figure_villages.members (f6d8b0c2e4a7), which household() writes."""
    made = Household(village_id=village_region.id, number=number, head_name=head_name, members=3)
    db.session.add(made)
    db.session.commit()
    return made


def shop(village_region, name="积分超市"):
    """A points shop in a village."""
    made = Shop(village_id=village_region.id, name=name)
    db.session.add(made)
    db.session.commit()
    return made


def user(username, role, password=PASSWORD, **scope):
    """An account with a role and its scope column (region_id, household_id, shop_id, grid_id)."""
    made = User(username=username.lower(), role=Role(role).value, **scope)
    made.set_password(password)
    db.session.add(made)
    db.session.commit()
    return made
