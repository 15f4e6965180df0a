"""The OpenAPI 3.1 document, built from the operations and pydantic models of app/api/spec.py."""
import re
from typing import Any

from pydantic.json_schema import models_json_schema

from app.api.spec import OPERATIONS, ErrorOut, Operation
from app.views_util import MAX_ID

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERROR_TEXT = {400: "Malformed request: bad JSON, wrong type, missing or unknown field",
               401: "Not signed in: no valid bearer token", 403: "Not allowed for this account",
               404: "Not found, or outside the account's scope", 409: "Conflicts with what is recorded",
               413: "Request body too large", 422: "Refused by a rule", 429: "Too many requests"}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before the next call",
                               "schema": {"type": "integer", "minimum": 1}}}


def _path(op: Operation) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _PARAM.findall(op.path):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" \
            else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PARAM.sub(r"{\2}", op.path), params


def _query_params(op: Operation) -> list[dict]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema()
    required = set(schema.get("required", []))
    # An optional parameter's `default: null` (pydantic's `= None`) is no value a query string
    # can hold, and strict validators refuse it on a string: absent is the default.
    return [{"name": name, "in": "query", "required": name in required,
             "schema": {k: v for k, v in prop.items() if not (k == "default" and v is None)}}
            for name, prop in schema.get("properties", {}).items()]


# Each call's tag, by the first segment of its path.
TAGS = {"tokens": "Sign-in", "me": "Sign-in", "notifications": "Notifications",
        "households": "Points", "entries": "Points", "awards": "Points", "rules": "Points",
        "meetings": "Meetings and issues", "check-ins": "Meetings and issues",
        "issues": "Meetings and issues", "products": "Shop", "payment-codes": "Shop",
        "redemptions": "Shop"}
TAG_TEXT = {
    "Sign-in": "Bearer tokens (POST /tokens, DELETE /tokens/current) and the account behind one.",
    "Points": "Households' balances and entries, the village's rules, awards and reversals.",
    "Meetings and issues": "Night-talk meetings (夜谈会), checking in, issues and suggestions.",
    "Shop": "The points shop: products, the household's payment code, sales at the counter.",
    "Notifications": "What the account was told (a sale, an award, an issue's progress...).",
}

DESCRIPTION = """\
Sign in with POST /tokens, then send `Authorization: Bearer TOKEN`. Errors are
{"error": {"code", "message"}} (and "field" for a request that does not fit this document);
messages follow Accept-Language (zh-CN, zh-TW, en).

**Order and paging.** Lists are newest first and paged by an opaque cursor: pass a page's `next`
(for meetings: the `Link` header's URL) back as `before`. A household's entries are ordered by
`created_at`, the time shown to a reader (the later id first among entries of one moment): entries
recorded with an earlier date (the demo's history, an import) have later ids, so ids are not in
time order. Meetings are ordered by `starts_at`, notifications by id. A `before` this API did not
give is 400 naming `before`.

**Who reads what.** A household reads its own household and entries and its village's rules. A
grid leader (网格员) reads the households of its grid and their entries, and its village's rules;
it writes nothing through this API. The village committee reads and writes its village. Officials
read the households and entries of the villages under their region; a shop keeper sells at its
shop's counter. Anything else is
403 (a role that may not) or 404 (outside the account's area: the same answer as "no such thing").

**Limits.** Each token holder has a budget of calls a minute; sign-in is limited per username.
A 429 carries `Retry-After` (seconds). A body over 64 KB is 413 `too_large`. A method a path does
not take is 405 with `Allow`.

**Fuzzing this API.** DELETE /tokens/current revokes the token it is sent with: a fuzzer given one
token calls it early and then sees only 401s. Leave it out, e.g.
`schemathesis run URL/api/v1/openapi.json -H "Authorization: Bearer TOKEN"
--exclude-operation-id delete_current_token` (or `--exclude-path /api/v1/tokens/current`), and
test signing out with a token of its own (README, "JSON API").
"""


def document(prefix: str = "/api/v1") -> dict[str, Any]:
    """The whole OpenAPI document of the JSON API."""
    models = {(ErrorOut, "serialization")}
    for op in OPERATIONS:
        if op.body is not None:
            models.add((op.body, "validation"))
        models |= {(m, "serialization") for m in op.responses.values() if m is not None}
    refs, top = models_json_schema(sorted(models, key=lambda pair: pair[0].__name__),
                                   ref_template="#/components/schemas/{model}")
    error_ref = {"content": {"application/json": {"schema": refs[(ErrorOut, "serialization")]}}}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path, params = _path(op)
        item: dict[str, Any] = {"summary": op.summary, "operationId": op.view.__name__,
                                "tags": [TAGS.get(path.strip("/").split("/")[0], "Other")],
                                "description": (op.view.__doc__ or "").strip(),
                                "parameters": params + _query_params(op),
                                "responses": {}}
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[(op.body, "validation")]}}}
        for status, model in op.responses.items():
            answer: dict[str, Any] = {"description": "Success"}
            if model is not None:
                answer["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
            if op.headers and status < 300:
                answer["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                                     for name, text in op.headers.items()}
            item["responses"][str(status)] = answer
        statuses = {400, 404} | set(op.errors) | ({401, 403, 429} if op.auth else set()) \
            | ({413} if op.body is not None else set())
        for status in sorted(statuses):
            item["responses"][str(status)] = {"description": _ERROR_TEXT.get(status, "Error"),
                                              **error_ref}
        if op.auth or op.errors and 429 in op.errors:
            item["responses"]["429"]["headers"] = RETRY_AFTER
        if op.auth:
            item["security"] = [{"bearer": []}]
        paths.setdefault(prefix + path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lianxin JSON API", "version": "1", "description": DESCRIPTION},
        # Relative: the paths are under this server's root, whatever host serves the document.
        "servers": [{"url": "/", "description": "The server this document was read from"}],
        "tags": [{"name": name, "description": text} for name, text in TAG_TEXT.items()],
        "paths": paths,
        "components": {"schemas": top.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
