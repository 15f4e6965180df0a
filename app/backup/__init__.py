"""Backups of the whole site: one file holding the database, the uploaded photos and a manifest.

`archive.py` writes and reads the file, `databases.py` dumps and restores SQLite and PostgreSQL,
`services.py` makes a backup and puts one back with its checks, `jobs.py` is the daily job that
keeps a few, `cli.py` is `flask backup create|restore`. The administrator's page is in
app/accounts/backups_views.py.
"""
from app.errors import DomainError


class BackupError(DomainError):
    """A backup could not be made, read or restored; the message says why."""

    code = "backup_failed"
