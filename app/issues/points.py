"""Contribution points for issues: earned by rule when an issue is confirmed or a suggestion adopted.

These points are not one person's decision but follow from the rulebook (a raiser's confirmation,
a job's silence rule), so the ledger entries are made by the System actor of app/access/ (no
account, no id: the entries carry no actor), which the rules let award by rule and nothing more.
The ledger service still does every check and write; the issue is the entries' reference and each
award has an idempotency key, so a retried or racing confirmation can never award twice.
"""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app.access.permissions import SYSTEM
from app.extensions import db
from app.ledger import services as ledger
from app.models import Issue, IssueKind, Rule

RESOLVED_RULE = "YS02"  # 提出的问题得到解决: raised an issue that was resolved
ADOPTED_RULE = "YS03"   # 提出合理化建议被采纳: made a suggestion that was adopted


def _rule(village_id: int, code: str) -> Optional[Rule]:
    return db.session.scalar(sa.select(Rule).where(
        Rule.village_id == village_id, Rule.code == code, Rule.active.is_(True)))


def _award(issue: Issue, code: str, what: str, note: str) -> bool:
    rule = _rule(issue.village_id, code)
    if rule is None or rule.points <= 0 or not issue.household.active:
        return False
    ledger.award_entries(SYSTEM, [issue.household_id], rule.id, note,
                         idempotency_key=f"issue:{issue.id}:{what}", ref=("issue", issue.id))
    return True


def contribution(issue: Issue) -> bool:
    """Award the 'issue resolved' rule for a confirmed issue (suggestions earn on adoption)."""
    if issue.kind != IssueKind.ISSUE:
        return False
    return _award(issue, RESOLVED_RULE, "resolved",
                  _("Issue resolved: %(text)s", text=issue.description[:80]))


def adoption(issue: Issue) -> bool:
    """Award the 'suggestion adopted' rule."""
    return _award(issue, ADOPTED_RULE, "adopted",
                  _("Suggestion adopted: %(text)s", text=issue.description[:80]))
