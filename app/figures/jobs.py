"""The figures' nightly job: the summaries recounted from their sources, the result in the audit log."""
from datetime import datetime, timedelta

from app import audit
from app.access.permissions import SYSTEM
from app.extensions import db
from app.figures import region_points, rule_points
from app.figures.recount import verify
from app.jobs import job
from app.rankings import recount as rankings


@job("figures-verify", every=timedelta(days=1))
def verify_figures(now: datetime) -> str:
    """Recount the officials' figures rollup from meetings and issues; the result goes to the audit log."""
    # the rankings' summary and the charts' points by rule too, recounted from the ledger
    wrong = verify() + rankings.verify() + rule_points.verify() + region_points.verify()
    detail = (f"{len(wrong)} difference(s): " + "; ".join(wrong[:20]) if wrong
              else "ok: the figures rollup matches the meetings and issues; the rankings the ledger")
    audit.record("figures.verify", "figures", detail[:500], SYSTEM)
    db.session.commit()
    if wrong:
        raise RuntimeError(detail[:500])
    return detail
