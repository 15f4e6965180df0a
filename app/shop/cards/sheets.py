"""A4 sheets of household cards: one Jinja template, printed from the browser or as a PDF.

The PDF is WeasyPrint's rendering of the same template with the same stylesheet. Cards sit in a
table of fixed-size cells, ten to a page (2 x 5 cards of 85.6 x 54 mm), with the QR at an exact
30 mm: tables paginate quickly, flexbox across pages does not (177 s instead of 12 s for 400).
"""
import math
import os
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, render_template

from app.extensions import db
from app.models import Grid, Household, Region
from app.models.shop import HouseholdCard
from app.shop import codes
from app.shop.cards import services as cards

PER_PAGE = 10  # cards on one A4 page
PER_PART = 200  # cards in one printout (20 pages); a village of 1000 is five parts


@dataclass
class PrintedCard:
    """What one card shows."""

    household: Household
    qr: str
    pin_reset: Optional[cards.PinReset] = None


def listing(actor, village_id: int, grid_id: Optional[int]) -> list[tuple]:
    """[(household, its card in use or None)] of a village or grid, by household number."""
    households = cards.households_of(actor, village_id, grid_id)
    ids = [h.id for h in households]
    in_use = {c.household_id: c for c in db.session.scalars(sa.select(HouseholdCard).where(
        HouseholdCard.household_id.in_(ids), HouseholdCard.status != "revoked")
        .options(so.selectinload(HouseholdCard.pin_reset_by)))} if ids else {}
    return [(h, in_use.get(h.id)) for h in households]


def sheet(actor, village_id: int, grid_id: Optional[int], part: int) -> dict:
    """The cards in use of a village or grid, `part` (1-based) of at most PER_PART, in pages."""
    rows = [(h, card) for h, card in listing(actor, village_id, grid_id) if card is not None]
    in_use = {h.id: card for h, card in rows}
    with_card = [h for h, _card in rows]
    parts = max(1, math.ceil(len(with_card) / PER_PART))
    part = min(max(part, 1), parts)
    chosen = with_card[(part - 1) * PER_PART:part * PER_PART]
    printed = [PrintedCard(h, codes.qr_data_uri(cards.secret_of(in_use[h.id])),
                           cards.last_pin_reset(in_use[h.id])) for h in chosen]
    pages = [printed[i:i + PER_PAGE] for i in range(0, len(printed), PER_PAGE)]
    grid = db.session.get(Grid, grid_id) if grid_id else None
    return {"pages": [[page[i:i + 2] for i in range(0, len(page), 2)] for page in pages],
            "count": len(printed), "part": part, "parts": parts,
            "village": db.session.get(Region, village_id).name, "grid": grid}


def stylesheet_path() -> str:
    """The sheet's stylesheet on disk (WeasyPrint reads it from there, not over HTTP)."""
    return os.path.join(current_app.static_folder, "css", "cards.css")


def render_html(data: dict, pdf: bool = False) -> str:
    """The sheet as HTML; for the PDF without the page's own links, scripts and buttons."""
    return render_template("shop/card_sheet.html", pdf=pdf, **data)


def render_pdf(data: dict) -> bytes:
    """The sheet as an A4 PDF (ImportError when WeasyPrint is not installed)."""
    import weasyprint

    html = weasyprint.HTML(string=render_html(data, pdf=True))
    return html.write_pdf(stylesheets=[weasyprint.CSS(filename=stylesheet_path())])
