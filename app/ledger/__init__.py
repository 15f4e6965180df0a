"""The points ledger: services.py is the only code that writes ledger entries,
balances and scores; claims.py, rules.py, rulebook_templates.py, settings.py and settlement.py
write their own records (claims and settlement move points through services.py); policy.py holds
the limits; reads.py and notice.py read; notify.py tells people.

Its pages are in views/ (the blueprints points, rulebook, claims and notice, all under /ledger),
their forms in forms/.
"""
from app.ledger import notify  # noqa: F401  (registers the ledger's event handlers and jobs)
from app.ledger import settlement  # noqa: F401,E402  (the settlement job and its warning)
