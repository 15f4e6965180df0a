"""National statistical division codes (统计用区划代码): what a 12-digit code says about a place.

A code is 2 digits of province, 2 of city, 2 of county, 3 of township or street and 3 of
village or community: 明溪县 is 350421000000, its 城关乡 350421200000, and 罗翠村 in it
350421200201. Trailing zeros say the level; the parent's code is the prefix padded with zeros.
"""
import re
import unicodedata
from typing import Optional

from app.models import RegionLevel

CODE = re.compile(r"^[0-9]{12}$")


def normalise(text: str) -> str:
    """A code as typed or exported: full-width digits and spaces are forgiven."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def is_valid(code: str) -> bool:
    """True for a 12-digit code naming a city, county, township or village (not a province)."""
    return bool(CODE.match(code or "")) and code[2:4] != "00" and code[:2] != "00"


def level_of(code: str) -> RegionLevel:
    """The level a valid code names, from its trailing zeros."""
    if code[4:] == "00000000":
        return RegionLevel.CITY
    if code[6:] == "000000":
        return RegionLevel.COUNTY
    if code[9:] == "000":
        return RegionLevel.TOWNSHIP
    return RegionLevel.VILLAGE


def parent_code(code: str) -> Optional[str]:
    """The code of the place a valid code lies in; None for a city (the top of our tree)."""
    level = level_of(code)
    keep = {RegionLevel.COUNTY: 4, RegionLevel.TOWNSHIP: 6, RegionLevel.VILLAGE: 9}.get(level)
    return None if keep is None else code[:keep].ljust(12, "0")


def may_be_root(code: str) -> bool:
    """A city or a county may stand alone (a county running Lianxin by itself); townships and
    villages need their parent in the tree."""
    return level_of(code) in (RegionLevel.CITY, RegionLevel.COUNTY)


def is_community(code: str) -> bool:
    """Villages' codes 001-199 are urban communities (社区), 200-399 villages (村)."""
    return level_of(code) == RegionLevel.VILLAGE and code[9:] < "200"
