"""Backups of the whole site: one file holding the database, the uploaded photos and a manifest.

`archive.py` writes and reads the file, `databases.py` dumps and restores SQLite and PostgreSQL,
`restore.py` puts a backup back and checks it, `retention.py` is the daily job that keeps a few,
`cli.py` is `flask backup create|restore`. The administrator's page is in app/accounts.
"""
from app.errors import DomainError


class BackupError(DomainError):
    """A backup could not be made, read or restored; the message says why."""

    code = "backup_failed"
