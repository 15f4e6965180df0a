"""Who may use the JSON API: its own pages, and CONTRACT.md's "who" where it is narrower than the pages.

The features' rules (ledger.py, shop.py, meetings.py) still decide scope for every call. The
contract's table of the API names fewer roles than the pages for a few calls: awards and reversals
are the committee's (an admin awards on the pages, not through the API), the meetings list is for
households and the committee, and only households check in (anyone else is refused as such, not
told the meeting is another village's).
"""
from flask_babel import lazy_gettext as _l

from app.access.permissions import EVERYONE, menu_item, role_rule
from app.models import Role

role_rule("api.tokens", EVERYONE)
menu_item("api.tokens", "api_pages.token_list", _l("API tokens"), 95, section="account")

role_rule("api.ledger_write", frozenset({Role.COMMITTEE}))  # POST /awards, POST /entries/{id}/reversal
role_rule("api.meetings", frozenset({Role.COMMITTEE, Role.HOUSEHOLD}))  # GET /meetings
role_rule("api.check_in", frozenset({Role.HOUSEHOLD}))  # POST /check-ins
