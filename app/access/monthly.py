"""Who may read (and download) a village's monthly report, and the menu link to it."""
from flask_babel import lazy_gettext as _l

from app.access import scope
from app.access.permissions import VILLAGE_READERS, menu_item, role_rule, rule
from app.models import Region, User


@rule("reports.monthly")
def read_monthly_report(user: User, village: Region) -> bool:
    """The village's committee, officials above it (read-only figures), admins."""
    if village is None or not village.is_village:
        return False
    return scope.reads_village(user, village)


role_rule("reports.monthly_page", VILLAGE_READERS)
menu_item("reports.monthly_page", "monthly.report_page", _l("Monthly report"), 82, section="reports")
