"""`flask --app wsgi regions import FILE [--dry-run]`: the region tree from a spreadsheet."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.errors import DomainError
from app.regions import tree_import

regions = AppGroup("regions", help="Manage the region tree.")


@regions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change; write nothing.")
def import_tree(file: Path, dry_run: bool) -> None:
    """Import or update the tree from .xlsx/.csv with columns code and name; all or nothing."""
    try:
        rows, notice = tree_import.read_rows(file.name, file.read_bytes())
        plan = tree_import.check(rows) if dry_run else tree_import.apply(rows, None, file.name)
    except tree_import.TreeRefused as refused:
        plan = refused.plan
    except DomainError as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    if notice:
        click.echo(notice, err=True)
    if plan.problems:
        for problem in plan.problems:
            click.echo(_("Row %(row)d (%(code)s %(name)s): %(reasons)s", row=problem.row,
                         code=problem.code, name=problem.name,
                         reasons=" ".join(problem.reasons)), err=True)
        click.echo(_("%(count)d bad rows; nothing was imported.", count=len(plan.problems)),
                   err=True)
        sys.exit(1)
    for row, old in plan.renamed:
        click.echo(_("Rename %(code)s: %(old)s -> %(new)s", code=row["code"], old=old,
                     new=row["name"]))
    counts = {"new": len(plan.new), "renamed": len(plan.renamed), "unchanged": plan.unchanged}
    if dry_run:
        click.echo(_("Would add %(new)d, would rename %(renamed)d, unchanged %(unchanged)d "
                     "(dry run: nothing written).", **counts))
    else:
        click.echo(_("Added %(new)d, renamed %(renamed)d, unchanged %(unchanged)d.", **counts))
