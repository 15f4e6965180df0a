"""The application class: Flask, with the links every page repeats built once a process.

A page's menu, bottom bar, footer and stylesheets are some twenty `url_for` calls whose answer
never changes while the process runs: an endpoint without arguments, or a static file (its
`?v=` version is the file's hash, fixed for the process: app/static_urls.py). Building each
through werkzeug's map cost about a tenth of a light page (/shop/scan), so these are kept in a
dictionary keyed by everything the answer depends on in a request: the endpoint, the static file's
name and the application root the request came in under (SCRIPT_NAME). Anything else (arguments,
`_external`, `_anchor`, `_method`, `_scheme`, a blueprint-relative `.endpoint`, no request) goes
through Flask's own url_for unchanged.
"""
from typing import Any, Optional

from flask import Flask, has_request_context, request


class LianxinFlask(Flask):
    """Flask with fixed links memoised per process (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._fixed_urls: dict[tuple, str] = {}

    def url_for(self, /, endpoint: str, *, _anchor: Optional[str] = None,
                _method: Optional[str] = None, _scheme: Optional[str] = None,
                _external: Optional[bool] = None, **values: Any) -> str:
        fixed = (_anchor is None and _method is None and _scheme is None and not _external
                 and endpoint[:1] != "." and has_request_context()
                 and (not values or (endpoint == "static" and len(values) == 1
                                     and isinstance(values.get("filename"), str))))
        if not fixed:
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        key = (endpoint, values.get("filename"), request.script_root)
        url = self._fixed_urls.get(key)
        if url is None:
            url = super().url_for(endpoint, **values)
            if len(self._fixed_urls) < 4096:  # endpoints and static files: a bounded set
                self._fixed_urls[key] = url
        return url
