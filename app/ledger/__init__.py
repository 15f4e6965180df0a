"""The points ledger, without pages: services.py is the only code that writes ledger entries,
balances and scores; claims.py and rulebook.py/settings.py keep their records and call it;
policy.py holds the limits; queries.py, reads.py and notice.py read; notify.py tells people.

Its pages are the blueprints app/points, app/rulebook, app/claims and app/notice.
"""
from app.ledger import notify  # noqa: F401  (registers the ledger's event handlers and jobs)
from app.ledger import settlement  # noqa: F401,E402  (the settlement job and its warning)
