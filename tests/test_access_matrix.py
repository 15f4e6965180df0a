"""The permission matrix of the pages, by construction: every endpoint of the app names the rule of
app/access/ that guards it (`permission_required`), or is public by name, or is a call of the JSON
API (token-signed, its role matrix in tests/test_api_roles.py). A new page without a rule fails
`test_every_endpoint_has_an_access_rule`; every role the rule refuses gets a 403 from every page.
"""
import re
from pathlib import Path

import pytest

from app.access import permissions
from app.api import spec
from tests import factories
from tests.ledger_world import make_world

# Pages anyone may open, signed in or not: sign-in and out, the language, health and metrics
# (the operator's allow-list guards /metrics), the certificates' public check and its key.
PUBLIC = {
    "static", "auth.login", "auth.logout", "auth.language", "main.favicon", "main.healthz",
    "health.readyz", "health.prometheus", "certificates.verify", "certificates.key",
    "certificates.key_pem", "certificates.key_json",
}

# The API's own calls without a token: signing in and its description.
API_PUBLIC = {"api.create_token", "api.docs", "api.openapi_json"}


def _api_calls() -> dict[str, bool]:
    """The JSON API's endpoints, each with whether it needs a token."""
    return {f"api.{op.view.__name__}": op.auth for op in spec.OPERATIONS}


def _unguarded(app) -> list[str]:
    """Endpoints with neither an access rule nor a place on the public lists."""
    api = _api_calls()
    missing = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        action = getattr(app.view_functions[endpoint], "access_rule", None)
        if action is not None:
            if action not in permissions.actions():
                missing.append(f"{endpoint} ({rule.rule}): rule {action!r} is not in app/access/")
            continue
        if endpoint in PUBLIC or endpoint in API_PUBLIC or api.get(endpoint) is True:
            continue
        missing.append(f"{endpoint} ({rule.rule}): no @permission_required rule and not public")
    return sorted(missing)


def test_every_endpoint_has_an_access_rule(app):
    missing = _unguarded(app)
    assert not missing, "Endpoints without an access rule of app/access/:\n  " + "\n  ".join(missing)


def test_the_public_list_names_only_real_unguarded_endpoints(app):
    for endpoint in PUBLIC:
        assert endpoint in app.view_functions, endpoint
        assert getattr(app.view_functions[endpoint], "access_rule", None) is None, endpoint


def _guarded(app):
    """(endpoint, path with ids filled in, method, rule) for every page guarded by a rule."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        action = getattr(app.view_functions[rule.endpoint], "access_rule", None)
        if action is None:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        path = re.sub(r"<any\((\w+)[^)]*\):\w+>", r"\1", rule.rule)  # the first choice
        yield rule.endpoint, re.sub(r"<(?:\w+:)?(\w+)>", "1", path), method, action


@pytest.fixture
def accounts(app):
    """One account of every role, each with its scope."""
    w = make_world()
    return {
        "admin": w.admin, "committee": w.committee, "grid_leader": w.leader, "household": w.h1_user,
        "official": factories.user("city", "official", region_id=w._city.id),
        "shop": factories.user("shop", "shop", shop_id=factories.shop(w.home).id),
        "unit": factories.user("unit", "unit", region_id=w._county.id, display_name="县水利局"),
    }


def test_every_page_refuses_the_roles_its_rule_refuses(app, accounts):
    app.config["WTF_CSRF_ENABLED"] = False
    pages = list(_guarded(app))
    assert len(pages) > 100
    anonymous = app.test_client()
    for endpoint, path, method, action in pages:
        status = anonymous.open(path, method=method).status_code
        assert status in (302, 401), f"{method} {path} ({endpoint}) without signing in: {status}"
    wrong = []
    for role, user in accounts.items():
        client = app.test_client()
        assert client.post("/login", data={"username": user.username,
                                           "password": factories.PASSWORD}).status_code == 302, role
        for endpoint, path, method, action in pages:
            if permissions.may(user, action):
                continue
            status = client.open(path, method=method).status_code
            if status != 403:
                wrong.append(f"{role}: {method} {path} ({endpoint}, rule {action}) gave {status}")
    assert not wrong, "\n".join(wrong)


def test_each_rule_guarding_a_page_lets_some_role_in(app, accounts):
    # A rule no role passes would be a page nobody can open: a misnamed group, say.
    for endpoint, _path, _method, action in _guarded(app):
        assert any(permissions.may(user, action) for user in accounts.values()), (endpoint, action)


def test_templates_ask_the_rules_not_the_viewers_role():
    # Who may see a link is a rule of app/access/ (`user_may('...')` in a template), never the
    # signed-in user's role compared in the page.
    root = Path(__file__).resolve().parent.parent / "templates"
    found = [f"{path.relative_to(root)}:{number}: {line.strip()}"
             for path in sorted(root.rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"current_user\.role\b", line)]
    assert not found, "templates comparing the viewer's role:\n" + "\n".join(found)
