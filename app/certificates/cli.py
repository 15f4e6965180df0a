"""`flask certificates verify TOKEN`: check a certificate's signature with a public key alone."""
from typing import Optional

import click
from flask.cli import AppGroup

from app.certificates import signing

certificates_cli = AppGroup("certificates", help="Points certificates.")


@certificates_cli.command("verify")
@click.argument("token")
@click.option("--key", "key_text", default=None,
              help="The public key: a PEM file, or its raw bytes in base64url. Default: this site's.")
def verify(token: str, key_text: Optional[str]) -> None:
    """Verify TOKEN (or the whole /verify/ address) offline; exit 1 when it is not genuine.
    Withdrawal is not known offline: the verification page says it."""
    token = token.strip().rstrip("/").rsplit("/", 1)[-1]
    if key_text is None:
        from app.certificates.services import public_keys

        keys = public_keys()
    else:
        try:
            with open(key_text, encoding="ascii") as handle:
                key_text = handle.read()
        except OSError:
            pass
        try:
            keys = [signing.public_from_text(key_text)]
        except ValueError as error:
            raise click.ClickException(f"not an Ed25519 public key: {error}") from None
    statement = signing.verify(token, keys)
    if statement is None:
        click.echo("NOT VALID: not signed by this key, or altered")
        raise SystemExit(1)
    click.echo("VALID signature")
    for name, value in vars(statement).items():
        click.echo(f"{name}: {value}")
