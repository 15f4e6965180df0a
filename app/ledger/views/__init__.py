"""The ledger's pages: four blueprints by audience, all registered under /ledger.

- points (points.py): the committee awards, deducts (after a confirmation) and reverses; the
  village's entries, the household's history and evidence photos.
- rulebook (rulebook.py, settlement.py): the rulebook (积分细则) the committee keeps and everyone in
  the village reads, the village's settings, and the year-end settlement (年度清零).
- claims (claims.py): a household or grid leader asks for points (积分申报), the committee decides.
- notice (notice.py): the notice board (积分公示), its A4 print, and objections (异议) to entries.

Each page module's forms are in app/ledger/forms/<blueprint>.py. Writes go through app/ledger/
(services, claims, rules, settings, settlement); reads through its reads.py and notice.py.
"""
from flask import Blueprint

points_bp = Blueprint("points", __name__)
rulebook_bp = Blueprint("rulebook", __name__)
claims_bp = Blueprint("claims", __name__)
notice_bp = Blueprint("notice", __name__)

from app.ledger.views import claims, notice, points, rulebook, settlement  # noqa: E402,F401
