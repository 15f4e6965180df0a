"""The regions' stored pinyin sort keys (regions.sort_key, app.i18n.sort_key of the name), which
the figures page orders its villages by: `flask figures verify` lists a key that is not its
name's (a writer that went round the ORM, or a change of the pinyin rules), `rebuild` rewrites
them."""
import sqlalchemy as sa

from app.extensions import db
from app.i18n import sort_key
from app.models import Region


def _stale() -> list[tuple[int, str, str]]:
    """(id, name, the key it should have) of every region whose stored key is not its name's."""
    return [(rid, name, sort_key(name)) for rid, name, key in db.session.execute(
        sa.select(Region.id, Region.name, Region.sort_key).order_by(Region.id))
        if key != sort_key(name)]


def verify(limit: int = 100) -> list[str]:
    """One line per region whose sort key is stale, at most `limit`."""
    return [f"region {rid} {name!r}: sort key stale (the figures page orders villages by it)"
            for rid, name, _key in _stale()[:limit]]


def rebuild() -> int:
    """Rewrite every stale sort key (in the caller's transaction); how many were."""
    stale = _stale()
    if stale:
        regions = Region.__table__
        db.session.execute(sa.update(regions).where(regions.c.id == sa.bindparam("rid"))
                           .values(sort_key=sa.bindparam("key")),
                           [{"rid": rid, "key": key} for rid, _name, key in stale])
    return len(stale)
