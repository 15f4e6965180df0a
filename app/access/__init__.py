"""Access: what a user may see (scope.py) and what they may do (permissions.py).

Each feature's rules live in a module of this package; importing the package registers them all.
"""
from app.access import permissions, scope  # noqa: F401
from app.access import ledger  # noqa: F401  (registers the ledger's and register's rules)
from app.access import meetings  # noqa: F401  (registers the meetings' and issues' rules)
from app.access import shop  # noqa: F401  (the points shop's rules and menu links)
from app.access import api  # noqa: F401  (the API tokens page)
from app.access import regions  # noqa: F401,E402  (the region tree's rules)
from app.access import accounts  # noqa: F401  (accounts and who may stay signed in)
from app.access import rankings  # noqa: F401,E402  (rankings and posters)
from app.access import certificates  # noqa: F401,E402  (points certificates)
from app.access import monthly  # noqa: F401,E402  (a village's monthly report)
