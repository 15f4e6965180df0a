"""`flask backup create [--to DIR]` and `flask backup restore FILE [--force]` (CONTRACT.md)."""
import sys
from pathlib import Path
from typing import Optional

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.backup import BackupError, jobs  # noqa: F401  (registers the daily job)

backup_cli = AppGroup("backup", help="Back up the whole site, or restore a backup.")


@backup_cli.command("create")
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder to write to (default: BACKUP_DIR).")
def create_command(to: Optional[Path]) -> None:
    """Write one backup file: the database, the uploaded photos and a manifest."""
    from app.backup import services

    try:
        path, manifest = services.create(to)
    except BackupError as error:
        raise click.ClickException(error.message) from None
    figures = manifest["figures"]
    click.echo(_("Backup written: %(path)s (%(households)d households, %(entries)d ledger "
                 "entries, balances %(balance)d, %(photos)d uploaded files).", path=path,
                 households=figures["households"], entries=figures["ledger_entries"],
                 balance=figures["balance_sum"], photos=manifest["photos"]))


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
def restore_command(file: Path, force: bool) -> None:
    """Restore a backup into an empty database, then verify it; exit 1 on any difference."""
    from app.backup import services

    try:
        report = services.restore(file, force=force)
    except BackupError as error:
        raise click.ClickException(error.message) from None
    for line in report.lines:
        click.echo(line)
    if not report.ok:
        sys.exit(1)
