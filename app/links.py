"""Links back to the page being shown that carry its filters, and nothing else.

`url_for(request.endpoint, **request.args)` hands a visitor's query string to `url_for`, whose own
names (`endpoint`, `_method`, `_external`, `_scheme`, `_anchor`) then raise a TypeError or
BuildError (a 500) or change the link's scheme, host or anchor; a name that is also a path argument
would move the link to another record. Pages build such links from `query_args()` instead, which
keeps only the filter names pages read (below) and never a path argument's name.
"""
from typing import Any

from flask import Flask, request

# Every query-string name a page reads for its filters and pager (request.args.get(...) and the
# GET forms' fields). A page that reads a new name adds it here, or its pager drops it.
QUERY_NAMES = frozenset({
    "after", "day", "desc", "end", "grid", "household", "kind", "month", "part", "q", "region",
    "shop", "sort", "start", "status", "township", "village",
})


def query_args(*drop: str, **changes: Any) -> dict[str, Any]:
    """The current page's known query arguments (first value of each), without the names in
    `drop`, updated with `changes` (a change to None removes the name)."""
    path_names = set(request.view_args or {})
    args = {name: value for name, value in request.args.items()
            if name in QUERY_NAMES and name not in path_names and name not in drop}
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return args


def init_app(app: Flask) -> None:
    """Offer `query_args()` to templates."""
    app.add_template_global(query_args)
