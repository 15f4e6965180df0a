"""`flask ledger verify`: recompute every balance and score from the ledger (CONTRACT.md)."""
import sys

import click
from flask.cli import AppGroup

ledger = AppGroup("ledger", help="Check the points ledger.")


@ledger.command("verify")
def verify_command() -> None:
    """List every household whose balance or score disagrees with its entries; exit 1 if any."""
    from app.ledger.reads import verify

    wrong = verify()
    for household, balance, score in wrong:
        click.echo(f"MISMATCH household {household.id} (village {household.village_id}, "
                   f"number {household.number}): balance {household.balance} expected {balance}, "
                   f"score {household.score} expected {score}")
    if wrong:
        click.echo(f"{len(wrong)} household(s) disagree with the ledger.", err=True)
        sys.exit(1)
    click.echo("ok: every balance and score matches the ledger.")
