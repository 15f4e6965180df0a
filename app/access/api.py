"""Who may use the JSON API's own pages; the API's calls ask the features' rules (ledger.py...)."""
from flask_babel import lazy_gettext as _l

from app.access.permissions import EVERYONE, menu_item, role_rule

role_rule("api.tokens", EVERYONE)
menu_item("api.tokens", "api_pages.token_list", _l("API tokens"), 95)
