"""One way for a page to report a refusal (views_util.attempt), and one status per refusal: a page
and the JSON API answer the same DomainError alike (the contract: 403 or 404 outside one's scope,
409 a conflict, 422 refused by a rule)."""
import pytest
from flask import get_flashed_messages

from app.errors import Conflict, DomainError, InsufficientPoints, InvalidInput, NotAllowed, NotFound
from app.models import Role
from app.views_util import attempt
from tests import factories

def _raise(error):
    raise error


CONTRACT = [(InvalidInput, 422), (InsufficientPoints, 422), (DomainError, 422), (Conflict, 409),
            (NotAllowed, 403), (NotFound, 404)]


@pytest.mark.parametrize("kind, status", CONTRACT, ids=[kind.__name__ for kind, _s in CONTRACT])
def test_a_page_and_the_api_answer_one_refusal_with_one_status(app, kind, status):
    refusal = kind("Refused.")
    with app.test_request_context("/api/v1/me"):
        api = app.make_response(app.handle_user_exception(refusal))
    with app.test_request_context("/me"):
        page = app.make_response(app.handle_user_exception(refusal))
        refused = attempt(_raise, refusal)
    assert api.status_code == status and api.get_json()["error"]["code"] == refusal.code
    assert page.status_code == status and "Refused." in page.get_data(as_text=True)
    assert not refused and refused.status == status and refused.code == refusal.code


def test_attempt_flashes_the_refusal_or_the_success_and_hands_back_the_result(app):
    with app.test_request_context("/"):
        done = attempt(lambda a, b=0: a + b, 2, b=3, done=lambda total: f"Added up to {total}.")
        assert done and done.value == 5 and done.status == 200 and done.error is None
        assert not attempt(_raise, InvalidInput("No such grid."), done="never shown")
        assert not attempt(_raise, InvalidInput("No such grid."), flash_as="warning")
        assert get_flashed_messages(with_categories=True) == [
            ("success", "Added up to 5."), ("danger", "No such grid."), ("warning", "No such grid.")]


def test_a_refusal_on_a_field_keeps_the_form_as_typed(app):
    from app.accounts.forms import BulkAccountsForm

    with app.test_request_context("/", method="POST", data={"kind": "households"}):
        form = BulkAccountsForm()
        refused = attempt(_raise, Conflict("Every household has one."), field=form.kind)
        assert not refused and form.kind.errors == ["Every household has one."]
        assert form.kind.data == "households" and get_flashed_messages() == []


def test_attempt_can_make_not_found_the_404_page(app):
    from werkzeug.exceptions import NotFound as PageNotFound

    with app.test_request_context("/"):
        with pytest.raises(PageNotFound):
            attempt(_raise, NotFound("Gone."), not_found_404=True)
        assert get_flashed_messages() == []


def test_a_refused_account_form_comes_back_with_what_was_typed(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    factories.user("root", Role.ADMIN)
    factories.user("taken", Role.COMMITTEE, region_id=village.id)
    auth.login("root")
    response = client.post("/accounts/", data={"username": "taken", "password": "quiet-harbour-7",
                                                "role": "committee", "scope_id": village.id,
                                                "display_name": "Wang Fang"})
    assert response.status_code == 200  # the form again, not a redirect that would lose it
    assert 'value="Wang Fang"' in response.text and 'value="taken"' in response.text
    assert "用户名 taken 已被占用" in response.text  # the refusal's message, on the same page
