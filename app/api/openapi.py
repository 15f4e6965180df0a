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
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


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
        if op.auth:
            item["security"] = [{"bearer": []}]
        paths.setdefault(prefix + path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lianxin JSON API", "version": "1",
                 "description": "Sign in with POST /tokens, then send `Authorization: Bearer TOKEN`. "
                                "Errors are {\"error\": {\"code\", \"message\"}}; messages follow "
                                "Accept-Language (zh-CN, zh-TW, en)."},
        "paths": paths,
        "components": {"schemas": top.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
