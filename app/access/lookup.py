"""Finding the one row a page or API call is about: the row when the user may see it, else 404.

Every `..._or_404` in app/ is built from these four (`scoped` and `permitted` are the forms that
answer None, for the API's own NotFound), so the scope or permission check cannot be
left out and a row out of scope answers exactly like a row that does not exist (404):

- `scoped_or_404(query, condition)`: the row a scoped query (access/scope.py) finds;
- `permitted_or_404(user, action, target, row)`: the row when `permissions.may(...)` allows it;
- `found_or_404(find, *args)`: the row a service finds, turning its NotFound into a 404;
- `get_or_404(model, id)`: any row by id, for pages whose permission already allows every row
  (the administrator's); the caller's decorator is the check.
"""
from typing import Any, Callable, Optional, TypeVar

import sqlalchemy as sa
from flask import abort

from app.access import permissions
from app.errors import NotFound
from app.extensions import db

T = TypeVar("T")


def scoped(query: sa.Select, *conditions: Any) -> Any:
    """The first row of a query already limited to the user's scope (with `conditions`), or None
    (the API turns None into its own NotFound answer)."""
    return db.session.scalar(query.where(*conditions))


def scoped_or_404(query: sa.Select, *conditions: Any) -> Any:
    """The first row of a query already limited to the user's scope (with `conditions`), or 404."""
    return scoped(query, *conditions) or abort(404)


def permitted(user: Any, action: str, model: type[T], row_id: int) -> Optional[T]:
    """The row `model` with `row_id` when the user may do `action` to it, else None."""
    row = db.session.get(model, row_id)
    return row if row is not None and permissions.may(user, action, row) else None


def get_or_404(model: type[T], row_id: Optional[int]) -> T:
    """A row by id, or 404; only for pages whose permission already covers every row."""
    row = db.session.get(model, row_id) if row_id is not None else None
    return row or abort(404)


def permitted_or_404(user: Any, action: str, target: Any, row: Optional[T] = None) -> T:
    """`row` (or `target` itself) when the user may do `action` to `target`, else 404."""
    if not permissions.may(user, action, target):
        abort(404)
    return target if row is None else row


def found_or_404(find: Callable[..., T], *args: Any) -> T:
    """What a service's `find(*args)` returns; its NotFound (missing or out of scope) is a 404."""
    try:
        return find(*args)
    except NotFound:
        abort(404)
