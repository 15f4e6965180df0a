"""The month's ranking poster of a village or grid: one A4 page, printed from the browser or as a PDF.

The PDF is WeasyPrint's rendering of the same template with the same stylesheet
(app/shop/cards/sheets.py does the same for household cards). What is shown is capped so that it
always fits one page: the top of the ranking and a bounded list of star households.
"""
import os
from typing import Optional

from flask import current_app, render_template

from app.models import Grid, Region
from app.rankings import periods, reads

TOP = 10  # lines of the ranking on the poster (ties at the tenth place may add a few)
TOP_MAX = 12
STAR_NAMES = 36  # star households named on the poster; beyond that, "and N more"


def data(village: Region, grid: Optional[Grid], period: periods.Period) -> dict:
    """What the poster shows: the top of the month's ranking and the star households."""
    rows = reads.ranking(village.id, period, grid.id if grid else None)
    top = [r for r in rows if r.rank <= TOP and r.gained > 0][:TOP_MAX]
    levels, named = [], 0
    for count, households in reads.star_households(rows).items():
        shown = households[:max(0, STAR_NAMES - named)]
        named += len(shown)
        if households:
            levels.append({"stars": count, "shown": shown, "more": len(households) - len(shown)})
    return {"village": village, "grid": grid, "period": period, "top": top, "levels": levels,
            "ranked": len(rows)}


def stylesheet_path() -> str:
    """The poster's stylesheet on disk (WeasyPrint reads it from there, not over HTTP)."""
    return os.path.join(current_app.static_folder, "css", "poster.css")


def render_html(poster: dict, pdf: bool = False) -> str:
    """The poster as HTML; for the PDF without the page's own links and buttons."""
    return render_template("rankings/poster.html", pdf=pdf, **poster)


def render_pdf(poster: dict) -> bytes:
    """The poster as a one-page A4 PDF (ImportError when WeasyPrint is not installed)."""
    return document(poster).write_pdf()


def document(poster: dict):
    """WeasyPrint's laid-out poster (its `pages` are the printed pages)."""
    import weasyprint

    return weasyprint.HTML(string=render_html(poster, pdf=True)).render(
        stylesheets=[weasyprint.CSS(filename=stylesheet_path())])
