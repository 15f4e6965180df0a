"""The command-line interface of CONTRACT.md: demo-data and users create (db comes from Flask-Migrate)."""
import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.backup.cli import backup_cli
from app.errors import DomainError
from app.extensions import db
from app.figures.cli import figures_cli
from app.jobs import jobs_cli
from app.ledger.cli import ledger
from app.models import Role
from app.regions.cli import regions
from app.regions.first_run import first_run_hint

users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--scope", "scope_id", type=int, default=None,
              help="Id of the region (official, committee), shop, grid or household.")
@click.option("--household", "household_id", type=int, default=None,
              help="For a committee member: the household they live in (they cannot award it).")
@click.option("--password", default=None, hidden=True)
def create_user(username: str, role: str, scope_id: int | None, household_id: int | None,
                password: str | None) -> None:
    """Create an account; asks for its password."""
    from app.accounts.services import create_account

    # Asked here, not by a click option, so the prompt speaks the app's language (options are
    # read before the app context exists).
    if password is None:
        password = click.prompt(_("Password"), hide_input=True,
                                confirmation_prompt=_("Repeat the password"))
    if len(password) < 8:
        raise click.ClickException(_("The password must have at least 8 characters."))
    try:
        user = create_account(username, password, Role(role), scope_id,
                              own_household_id=household_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(_("Created %(username)s (%(role)s).", username=user.username, role=user.role))


@click.command("demo-data")
@click.option("--force", is_flag=True, help="Delete everything first.")
@click.option("--villages", "extra", type=click.IntRange(0, 10000), default=0,
              help="Synthetic villages to add, for benchmarks (the city has about 1,950).")
@click.option("--households-per-village", type=click.IntRange(1, 5000), default=410)
def demo_data(force: bool, extra: int, households_per_village: int) -> None:
    """Fill an empty database with the demo city of Sanming."""
    from app import demo

    if not demo.database_is_empty():
        if not force:
            raise click.ClickException(_("The database is not empty; use --force to replace it."))
        demo.clear_all()
    counts = demo.load(extra, households_per_village)
    click.echo(_("Demo city loaded: %(villages)d villages, %(households)d households.",
                 villages=counts["villages"], households=counts["households"]))
    click.echo(_("Demo accounts (password %(password)s): %(names)s", password=demo.DEMO_PASSWORD,
                 names="admin, city, committee, committee2, shop, gridleader, household, "
                       "household2, outsider, unit"))
    _echo_cards(counts)


def _echo_cards(counts: dict) -> None:
    """Name the households given a printed card, as README's demo section promises."""
    from app import demo

    click.echo(_("Households of %(village)s with a printed card (PIN %(pin)s): %(cards)s",
                 village=demo.HOME_VILLAGE, pin=demo.cards.DEMO_PIN,
                 cards=", ".join(counts["cards"])))


@click.command("demo-data-if-empty", hidden=True)
def demo_data_if_empty() -> None:
    """Load the demo only into an empty database (used by `make run`)."""
    from app import demo

    if demo.database_is_empty():
        counts = demo.load()
        click.echo(_("Demo city loaded: %(villages)d villages, %(households)d households.",
                     villages=counts["villages"], households=counts["households"]))
        _echo_cards(counts)


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(users)
    app.cli.add_command(demo_data)
    app.cli.add_command(demo_data_if_empty)
    app.cli.add_command(ledger)
    app.cli.add_command(figures_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(regions)
    app.cli.add_command(backup_cli)
    from app.certificates.cli import certificates_cli

    app.cli.add_command(certificates_cli)
    app.cli.add_command(first_run_hint)
    app.shell_context_processor(lambda: {"db": db})
