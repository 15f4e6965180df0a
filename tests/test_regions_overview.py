"""The villages overview (/regions/): each row's links, trail and badges, and the drill-down
buttons' order; a 50-village page builds its row links and trails once (a guard on that)."""
import re

import pytest

from app.extensions import db
from app.models import Region, RegionLevel, Role
from app.regions.services import path_segment
from tests import factories


@pytest.fixture
def tree(app):
    """测试市 > 测试县 > 测试镇 > 甲村, 乙村 (inactive), 丙村 (merged into 甲村); an official of
    the county and one of the city."""
    app.config["WTF_CSRF_ENABLED"] = False
    city, county, township, (a, b, c) = factories.region_tree(villages=("甲村", "乙村", "丙村"))
    b.active = False
    c.merged_into_id = a.id
    db.session.commit()
    factories.user("countyoff", Role.OFFICIAL, region_id=county.id)
    factories.user("cityoff", Role.OFFICIAL, region_id=city.id)
    return {"city": city, "county": county, "township": township, "villages": (a, b, c)}


def _rows(page: str) -> dict[str, str]:
    """Each village row's HTML, by the village's name."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return {re.search(r'">([^<]+)</a>', row).group(1): row for row in rows}


def test_each_village_row_links_its_register_and_change_page_with_its_trail(client, auth, tree):
    auth.login("countyoff")
    rows = _rows(client.get("/regions/").get_data(as_text=True))
    assert set(rows) == {"甲村", "乙村", "丙村"}
    for village in tree["villages"]:
        row = rows[village.name]
        assert f'href="/households/?village={village.id}"' in row
        assert f'href="/regions/{village.id}/manage"' in row
        # The places between the tree's root and the village, the root itself left out.
        assert re.search(r'<div class="small text-muted">测试县 › 测试镇</div>', row)
    assert "已停用" in rows["乙村"] and "已合并" in rows["丙村"]
    assert "badge" not in rows["甲村"]


def test_the_totals_and_each_rows_counts(client, auth, tree):
    """Villages and active households under the region (from the households' counters), and each
    row's active households and people."""
    a, b, _c = tree["villages"]
    factories.household(a, members=4)
    factories.household(a, members=2)
    factories.household(a, members=5, active=False)
    factories.household(b, members=1)
    other = factories.village("外村")  # another tree: not under the county
    factories.household(other)
    auth.login("countyoff")
    page = client.get("/regions/").get_data(as_text=True)
    cards = re.findall(r'<div class="fs-3 fw-bold">(\d+)</div>', page)
    assert cards == ["3", "3"]
    rows = _rows(page)
    counts = {name: re.findall(r'<td class="text-end">(\d+)</td>', row) for name, row in rows.items()}
    assert counts == {"甲村": ["2", "6"], "乙村": ["1", "1"], "丙村": ["0", "0"]}


def test_drill_down_buttons_are_in_pinyin_order_ties_by_id(client, auth, tree):
    """The children of a region by the stored pinyin key, the same name ordered by id, whatever
    order they were written in (here the larger id first)."""
    county = tree["county"]
    made = []
    for region_id, name in ((900002, "张镇"), (900001, "张镇"), (900003, "阿镇")):
        region = Region(id=region_id, name=name, level=RegionLevel.TOWNSHIP, parent_id=county.id,
                        path=county.path + path_segment(region_id))
        db.session.add(region)
        db.session.commit()
        made.append(region)
    auth.login("cityoff")
    page = client.get(f"/regions/?region={county.id}").get_data(as_text=True)
    drill = page.split('<div class="d-flex flex-wrap gap-2 mb-3">', 1)[1].split("</div>", 1)[0]
    buttons = re.findall(r'href="/regions/\?region=(\d+)">([^<]+)</a>', drill)
    assert buttons == [("900003", "阿镇"), (str(tree["township"].id), "测试镇"),
                       ("900001", "张镇"), ("900002", "张镇")]
