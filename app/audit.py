"""Writing the audit log; callers commit it with the change it describes."""
from typing import Optional

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access.permissions import SYSTEM
from app.extensions import db
from app.models import AuditLog, User


# What each recorded action is called on the audit log page; unknown codes are shown as they are.
ACTION_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out on every device"),
    "password_changed": _l("Changed own password"),
    "password_reset": _l("Reset a password"),
    "account_created": _l("Created an account"),
    "account_enabled": _l("Enabled an account"),
    "account_disabled": _l("Disabled an account"),
    "role_changed": _l("Changed a role"),
    "own_household_linked": _l("Linked a committee member's own household"),
    "household_created": _l("Added a household"),
    "household_updated": _l("Changed a household"),
    "household_deactivated": _l("Deactivated a household"),
    "household_reactivated": _l("Reactivated a household"),
    "households_imported": _l("Imported households"),
    "grid_created": _l("Added a grid"),
    "regions_imported": _l("Imported the region tree"),
    "region_added": _l("Added a place"),
    "region_renamed": _l("Renamed a place"),
    "region_deactivated": _l("Deactivated a place"),
    "region_reactivated": _l("Reactivated a place"),
    "village_moved": _l("Moved a village to another township"),
    "villages_merged": _l("Merged two villages"),
    "rulebook_template.publish": _l("Published a rulebook template"),
    "rulebook_template.adopt": _l("Adopted a rulebook template"),
    "rule.category": _l("Added a rule category"),
    "rule.create": _l("Added a rule"),
    "rule.update": _l("Changed a rule"),
    "rule.retire": _l("Retired a rule"),
    "ledger.adjust": _l("Adjusted points"),
    "ledger.reverse": _l("Reversed an entry"),
    "ledger.settings": _l("Changed star and objection settings"),
    "ledger.verify": _l("Checked the ledger"),
    "shop.product_add": _l("Added a shop product"),
    "shop.product_edit": _l("Changed a shop product"),
    "shop.void": _l("Voided a redemption"),
    "shop.codes_revoked": _l("Revoked all payment codes"),
    "backup_created": _l("Made a backup"),
    "backup_downloaded": _l("Downloaded a backup"),
}


def actor_label(entry: AuditLog) -> str:
    """Who did it, as the audit page says: the account's name, the system for automatic work (the
    System actor has no account, so no id), or a dash for no one (a failed sign-in)."""
    if entry.actor_id is None and entry.actor_name == SYSTEM.username:
        return str(_l("System (automatic)"))
    return entry.actor_name or "—"


def client_address() -> str:
    """The address the request came from (the proxy's view when behind one)."""
    if not has_request_context():
        return "cli"
    return (request.remote_addr or "")[:64]


def record(action: str, target: str = "", detail: str = "", actor: Optional[User] = None) -> AuditLog:
    """Add an audit entry to the session: actor defaults to the signed-in user; the System actor
    (automatic work) is recorded with no id under its name."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "",
        action=action,
        target=target[:128],
        detail=detail[:500],
        address=client_address(),
    )
    db.session.add(entry)
    return entry
