"""View decorators for roles; scope itself is decided in app/scope.py."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles):
    """Allow only signed-in users with one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
