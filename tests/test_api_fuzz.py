"""Property-based fuzzing of the JSON API from its own OpenAPI document (Schemathesis, offline, WSGI).

Every generated request, valid and invalid, is sent with the token of every demo account:
no answer may be a 500, and every answer must match the document (status, content type, schema).
"""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from tests import api_world

EXAMPLES = 8


def test_api_matches_its_document(app, client):
    app.config["API_LIMIT_PER_HOLDER"] = "100000 per minute"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    world = api_world.load(app, client)
    # A well-formed request may still be refused by a rule (422) or hit a recorded conflict (409).
    config = schemathesis.config.SchemathesisConfig.from_dict({"checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422",
                                                            "429"]}}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case):
                if mode == GenerationMode.POSITIVE and case.query:
                    # `before` is opaque: only a `next` the API gave is one (else 400 naming it,
                    # tests/test_api_outside.py), which no generator can invent from the document.
                    case.query.pop("before", None)
                for username in api_world.ROLES:
                    token = world.tokens[username]
                    if case.method == "DELETE":  # signing out spends a fresh token
                        token = api_world.sign_in(client, username)
                    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

            fuzz()
