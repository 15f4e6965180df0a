"""Lists of certificates: a household's own and a village's, newest first, by keyset pages."""
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.models import Certificate
from app.pagination import Page, keyset_page


def _page(query: sa.Select, after: Optional[str]) -> Page:
    query = query.options(so.selectinload(Certificate.household))
    return keyset_page(query, [Certificate.id], after, current_app.config["PAGE_SIZE"],
                       descending=True)


def of_household(household_id: int, after: Optional[str]) -> Page:
    """A household's certificates."""
    return _page(sa.select(Certificate).where(Certificate.household_id == household_id), after)


def of_village(village_id: int, after: Optional[str]) -> Page:
    """A village's certificates (index village_id, id)."""
    return _page(sa.select(Certificate).where(Certificate.village_id == village_id), after)
