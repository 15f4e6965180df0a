"""Administrative regions (city > county > township > village) and the grids inside a village."""
import enum
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.i18n import SORT_KEY_LENGTH, sort_key

# Byte-wise order on PostgreSQL too, so a path prefix is a contiguous index range.
PATH_TYPE = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")
# The same for the pinyin sort key (app.i18n.sort_key), which is made to sort byte by byte.
SORT_KEY_TYPE = sa.String(SORT_KEY_LENGTH).with_variant(
    sa.String(SORT_KEY_LENGTH, collation="C"), "postgresql")


class RegionLevel(enum.IntEnum):
    """Depth in the tree: every official's scope is one node and everything under it."""

    CITY = 1
    COUNTY = 2
    TOWNSHIP = 3
    VILLAGE = 4


class Region(db.Model):
    """A node of the region tree; `path` is the materialised path of zero-padded ids from the root,
    e.g. '/0000000001/0000000005/'."""

    __tablename__ = "regions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    parent_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    # The name's pinyin key (app.i18n.sort_key), so a page of names in the order people expect
    # is an index walk (ORDER BY sort_key, id), not every name of a city sorted in Python. Set
    # from the name on every ORM insert and update (below); writers that bypass the ORM call
    # app.i18n.sort_key themselves; `flask figures verify` finds a stale one.
    sort_key: so.Mapped[str] = so.mapped_column(SORT_KEY_TYPE, default="", server_default="")
    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    path: so.Mapped[str] = so.mapped_column(PATH_TYPE, index=True, default="")
    # The national statistical division code (统计用区划代码), 12 digits; None for invented places.
    code: so.Mapped[Optional[str]] = so.mapped_column(sa.String(12), unique=True, index=True)
    # Deactivated and merged regions stay, because households' history and accounts name them.
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True, server_default=sa.true())
    # A village merged into another (撤并) points at the one that took its households.
    merged_into_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("regions.id"))

    parent: so.Mapped[Optional["Region"]] = so.relationship(remote_side=[id],
                                                            foreign_keys=[parent_id])

    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        sa.Index("ix_regions_level_path", "level", "path"),
        sa.Index("ix_regions_level_sort_key", "level", "sort_key", "id"),
    )

    @property
    def is_village(self) -> bool:
        """True for a village or community, the unit that runs a points scheme."""
        return self.level == RegionLevel.VILLAGE

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this node, itself included."""
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def __repr__(self) -> str:
        return f"<Region {self.id} {self.name}>"


@sa.event.listens_for(Region, "before_insert")
@sa.event.listens_for(Region, "before_update")
def _keep_sort_key(_mapper, _connection, region: Region) -> None:
    """A region's sort key follows its name, whoever sets the name through the ORM."""
    region.sort_key = sort_key(region.name)


def subtree_clause(column: sa.ColumnElement | so.QueryableAttribute, path: str) -> sa.ColumnElement[bool]:
    """Rows whose path lies under `path` (itself included), as an index range, not a LIKE."""
    # '/' is followed by '0' in byte order, so every path starting with `path` sorts below the bound.
    upper = path[:-1] + "0"
    return sa.and_(column >= path, column < upper)


class Grid(db.Model):
    """A micro-grid (微网格): 10-30 neighbouring households under one grid leader."""

    __tablename__ = "grids"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))

    village: so.Mapped[Region] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("village_id", "name"),)

    def __repr__(self) -> str:
        return f"<Grid {self.id} {self.name}>"
