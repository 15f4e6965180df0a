"""Rankings read from the summary: a village's or grid's list, movers, stars, a household's rank.

Ties share a rank and the next rank skips (standard competition ranking, "1, 2, 2, 4"): two
households with the same points gained are equal, and a household's rank is one more than the
number of households with more points. Among equals the list shows the lower household number
first. Every query here reads households of one village (an index range) and at most their
months of two periods from ranking_months (its primary key), never the ledger.
"""
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Household, VillageSettings
from app.models.ranking import RankingMonth
from app.rankings import periods
from app.rankings.keep import month_of


def stars(score: int, thresholds: tuple) -> int:
    """Stars from 0 to 5 (app/ledger/reads.star_rating): one for any positive score, then
    one per threshold reached."""
    return 0 if score <= 0 else 1 + sum(1 for t in thresholds if score >= t)


def to_next_star(score: int, thresholds: tuple) -> Optional[int]:
    """Points the score still needs for one more star; None at five stars."""
    have = stars(score, thresholds)
    if have >= 5:
        return None
    return 1 - score if have == 0 else thresholds[have - 1] - score


def competition_ranks(values: list[int]) -> list[int]:
    """The ranks of values sorted from high to low: equal values share one, the next skips."""
    ranks = []
    for i, value in enumerate(values):
        ranks.append(ranks[-1] if i and value == values[i - 1] else i + 1)
    return ranks


@dataclass
class Row:
    """A household's line of a ranking."""

    household_id: int
    number: str
    head_name: str
    score: int
    gained: int
    before: int
    stars: int
    rank: int = 0
    previous_rank: int = 0

    @property
    def move(self) -> int:
        """Places climbed since the previous period (negative: fallen)."""
        return self.previous_rank - self.rank


def _number_key(number: str) -> tuple:
    """Household numbers in natural order (2 before 10), as the register lists them."""
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part)
                 for part in re.split(r"(\d+)", number) if part)


def ranking(village_id: int, period: periods.Period, grid_id: Optional[int] = None) -> list[Row]:
    """The active households of a village (or of one of its grids) ranked by points gained in
    `period`, with their rank in the period before: one grouped query."""
    earlier = period.previous
    month = RankingMonth.month
    gained = sa.func.coalesce(sa.func.sum(sa.case((month >= period.first, RankingMonth.gained),
                                                  else_=0)), 0)
    before = sa.func.coalesce(sa.func.sum(sa.case((month < period.first, RankingMonth.gained),
                                                  else_=0)), 0)
    query = (sa.select(Household.id, Household.number, Household.head_name, Household.score,
                       gained, before)
             .outerjoin(RankingMonth, sa.and_(RankingMonth.household_id == Household.id,
                                              month >= earlier.first, month <= period.last))
             .where(Household.village_id == village_id, Household.active.is_(True))
             .group_by(Household.id, Household.number, Household.head_name, Household.score))
    if grid_id is not None:
        query = query.where(Household.grid_id == grid_id)
    thresholds = VillageSettings.of(village_id).thresholds
    rows = [Row(h, number, name, score, int(g), int(b), stars(score, thresholds))
            for h, number, name, score, g, b in db.session.execute(query)]
    rows.sort(key=lambda r: _number_key(r.number))
    by_before = sorted(rows, key=lambda r: -r.before)  # stable: number order among equals
    for row, rank in zip(by_before, competition_ranks([r.before for r in by_before])):
        row.previous_rank = rank
    rows.sort(key=lambda r: -r.gained)
    for row, rank in zip(rows, competition_ranks([r.gained for r in rows])):
        row.rank = rank
    return rows


def movers(rows: list[Row], count: int = 5) -> list[Row]:
    """The households whose rank changed most since the previous period, biggest change first."""
    moved = [r for r in rows if r.move]
    return sorted(moved, key=lambda r: (-abs(r.move), r.rank))[:count]


def star_households(rows: list[Row], least: int = 3) -> dict[int, list[Row]]:
    """{stars: households with that many}, from five stars down to `least`, by points gained."""
    found = {n: [] for n in range(5, least - 1, -1)}
    for row in rows:
        if row.stars >= least:
            found[row.stars].append(row)
    return found


def local_now() -> datetime:
    """Now in the scheme's time zone (its months)."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


@dataclass
class Standing:
    """A household's place this month, for its own page."""

    period: periods.Period
    rank: int
    total: int
    gained: int
    stars: int
    to_next_star: Optional[int]


def _standing_statement() -> sa.Select:
    month = sa.bindparam("month", type_=RankingMonth.month.type)
    mine = sa.func.coalesce(sa.select(RankingMonth.gained).where(
        RankingMonth.household_id == sa.bindparam("household_id"), RankingMonth.month == month)
        .scalar_subquery(), 0)
    points = sa.func.coalesce(RankingMonth.gained, 0)
    return (sa.select(sa.func.count(),
                      sa.func.coalesce(sa.func.sum(sa.case((points > mine, 1), else_=0)), 0),
                      sa.func.max(mine))
            .select_from(Household)
            .outerjoin(RankingMonth, sa.and_(RankingMonth.household_id == Household.id,
                                             RankingMonth.month == month))
            .where(Household.village_id == sa.bindparam("village_id"),
                   Household.active.is_(True)))


# Built once: every /me runs it, and building it cost more than running it.
_STANDING = _standing_statement()


def standing(household: Household) -> Standing:
    """The household's rank in its village for the current month, its stars and the points to
    the next star: one query (the village's active households joined to this month's row by
    primary key), and the village's settings."""
    now = local_now()
    total, above, gained = db.session.execute(_STANDING, {
        "household_id": household.id, "month": month_of(now),
        "village_id": household.village_id}).one()
    thresholds = VillageSettings.of(household.village_id).thresholds
    return Standing(periods.current("month", now), int(above) + 1, int(total), int(gained or 0),
                    stars(household.score, thresholds), to_next_star(household.score, thresholds))
