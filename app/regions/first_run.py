"""First run: what to do when the database has no administrator or no places yet."""
import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
import sqlalchemy as sa

from app.extensions import db
from app.models import Region, Role, User


def has_administrator() -> bool:
    """True when at least one active administrator account exists."""
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == Role.ADMIN, User.active.is_(True))) > 0


def has_regions() -> bool:
    """True when the tree has at least one place."""
    return db.session.scalar(sa.select(Region.id).limit(1)) is not None


@click.command("first-run-hint", hidden=True)
@with_appcontext
@click.option("--url", default="http://127.0.0.1:5000/")
def first_run_hint(url: str) -> None:
    """Print how to create the first administrator when there is none (used by `make run`)."""
    if not has_administrator():
        click.echo(_("No administrator account exists yet. Create one (it asks for a password):\n\n"
                     "    .venv/bin/flask --app wsgi users create admin --role admin\n\n"
                     "then sign in at %(url)s and follow the steps on the first page. Lianxin never "
                     "lets the first visitor of the site become an administrator.\n", url=url))
