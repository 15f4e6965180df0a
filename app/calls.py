"""Which requests are calls to the JSON API: the one test the error pages, the language, the
sessions and the security headers ask, kept below all of them (app/api/ builds on them)."""

DOCS_PATH = "/api/v1/docs"


def is_call(path: str) -> bool:
    """True for an API call's address (everything under /api/ but the documentation page): no
    cookie session, JSON errors, the language of Accept-Language or of the token's account."""
    return path.startswith("/api/") and path != DOCS_PATH
