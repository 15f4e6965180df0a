"""`flask figures rebuild|verify`: the officials' figures rollup recounted from meetings and issues."""
import sys

import click
from flask.cli import AppGroup

figures_cli = AppGroup("figures", help="Check or rebuild the officials' figures rollup.")


@figures_cli.command("verify")
def verify_command() -> None:
    """List every village month where the rollup disagrees with a recount; exit 1 if any."""
    from app.figures.recount import verify
    from app.figures import names, region_points, rule_points
    from app.rankings import recount as rankings

    wrong = (verify() + rankings.verify() + rule_points.verify() + region_points.verify()
             + names.verify())
    for line in wrong:
        click.echo(f"MISMATCH {line}")
    if wrong:
        click.echo(f"{len(wrong)} difference(s); `flask figures rebuild` recounts.", err=True)
        sys.exit(1)
    click.echo("ok: the figures rollup matches the meetings, issues and household register; "
               "the rankings and the points by rule match the ledger, and the regions' points "
               "by category their villages', and every region's sort key its name's.")


@figures_cli.command("rebuild")
def rebuild_command() -> None:
    """Replace the rollup with a recount, in one transaction (writers wait for it on SQLite)."""
    from app.database import transaction
    from app.figures.recount import rebuild
    from app.figures import names, region_points, rule_points
    from app.rankings import recount as rankings

    with transaction():
        months = rebuild()
        ranked = rankings.rebuild()
        by_rule = rule_points.rebuild()
        by_category = region_points.rebuild()  # from the points by rule just rebuilt
        keys = names.rebuild()
    click.echo(f"ok: rebuilt {months} village month(s) and {ranked} household month(s) of the rankings.")
    click.echo(f"ok: rebuilt {by_rule} village, month and rule row(s) of the points by rule.")
    click.echo(f"ok: rebuilt {by_category} region, month and category row(s) of the points by "
               "category above the villages.")
    click.echo(f"ok: rewrote {keys} stale region sort key(s).")
