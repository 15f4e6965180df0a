"""Writing the audit log; callers commit it with the change it describes."""
from typing import Optional

from flask import has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditLog, User


def client_address() -> str:
    """The address the request came from (the proxy's view when behind one)."""
    if not has_request_context():
        return "cli"
    return (request.remote_addr or "")[:64]


def record(action: str, target: str = "", detail: str = "", actor: Optional[User] = None) -> AuditLog:
    """Add an audit entry to the session: actor defaults to the signed-in user."""
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
