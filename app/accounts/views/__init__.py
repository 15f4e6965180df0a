"""The accounts pages, one module a part, all on the accounts blueprint."""
from app.accounts.views import backups, bulk, units, accounts  # noqa: F401
