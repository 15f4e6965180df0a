"""The data model: one module per aggregate, all imported here so Alembic sees every table."""
from app.models.region import Region, RegionLevel, Grid
from app.models.household import Household
from app.models.user import User, Role, Shop, ShopVillage
from app.models.audit import AuditLog
from app.models.ledger import (Claim, EntryKind, EntryKindRow, LedgerEntry, Objection, RefType,
                               Rule, RuleCategory, Settlement, VillageSettings)
from app.models.outbox import JobRun, Notification, OutboxEvent
from app.models.shop import (HouseholdCard, PaymentCode, Product, Redemption, RedemptionLine,
                              StockMovement, Voucher, VoucherLine)
from app.models.meeting import Attendance, CheckInMethod, Meeting, MeetingFormat, MeetingHost, MeetingStatus
from app.models.issue import Issue, IssueEvent, IssueKind, IssueSettings, IssueStatus
from app.models.api_token import ApiToken
from app.models.figure import (FigureCadre, FigureCadreCount, FigureCadreLatest, FigureMonth, FigureMonthTotal, FigureReach,
                               FigureReachCount, FigureReachLatest, FigureRegionMonth, FigureRegionReach,
                               FigureVillage)
from app.models.template import RulebookTemplate, TemplateRule
from app.models.ranking import RankingMonth
from app.models.figure_points import FigurePoints, FigureRegionPoints

__all__ = ["Region", "RegionLevel", "Grid", "Household", "User", "Role", "Shop", "ShopVillage", "AuditLog",
           "Settlement",
           "RuleCategory", "Rule", "LedgerEntry", "VillageSettings", "Claim", "Objection",
           "OutboxEvent", "Notification", "JobRun", "EntryKind", "EntryKindRow", "RefType",
           "Product", "PaymentCode", "Redemption", "RedemptionLine", "StockMovement", "Voucher",
           "VoucherLine", "HouseholdCard",
           "Meeting", "MeetingFormat", "MeetingHost", "MeetingStatus", "Attendance", "CheckInMethod",
           "Issue", "IssueEvent", "IssueKind", "IssueSettings", "IssueStatus", "ApiToken",
           "FigureMonth", "FigureMonthTotal", "FigureReach", "FigureCadre", "FigureVillage", "FigureReachCount", "FigureReachLatest",
           "FigureCadreCount", "FigureCadreLatest", "FigureRegionMonth", "FigureRegionReach",
           "RulebookTemplate", "TemplateRule", "RankingMonth", "FigurePoints",
           "FigureRegionPoints"]
from app.models.certificate import Certificate  # noqa: E402  (points certificates)

__all__ += ["Certificate"]
