"""Issuing and withdrawing points certificates, and verifying a token against the site's keys.

A certificate states a household's figures as of today: score, balance, stars and this month's
rank in its village (app/rankings/reads.standing). The statement is signed with the site's key
(signing.py) once the certificate has its number, and kept, so the PDF prints the same forever.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from flask import current_app
from flask_babel import gettext as _

from app import audit
from app.access.permissions import require
from app.certificates import signing
from app.database import transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Certificate, Household, User
from app.models.base import utcnow
from app.rankings import reads

REASON_MAX = 200


def private_key():
    """The site's signing key (derived from SECRET_KEY)."""
    return signing.private_key(current_app.config["SECRET_KEY"])


def public_keys() -> list:
    """The keys a token may be signed with: the current one, then CERTIFICATE_PREVIOUS_KEYS."""
    keys = [private_key().public_key()]
    for text in current_app.config.get("CERTIFICATE_PREVIOUS_KEYS") or ():
        try:
            keys.append(signing.public_from_text(text))
        except ValueError:
            current_app.logger.warning("CERTIFICATE_PREVIOUS_KEYS holds a key that is not one")
    return keys


def issue(actor: User, household: Household) -> Certificate:
    """A new certificate of the household's figures as of today, signed."""
    require(actor, "certificates.issue", household)
    standing = reads.standing(household)
    today = reads.local_now().date()
    with transaction():
        certificate = Certificate(household_id=household.id, village_id=household.village_id,
                                  issued_by_id=actor.id, issued_at=utcnow(), token="",
                                  withdraw_reason="")
        db.session.add(certificate)
        db.session.flush()  # its number
        statement = signing.Statement(
            certificate.id, today, household.village.name, household.number,
            signing.mask(household.head_name), household.score, household.balance,
            standing.stars, standing.rank, standing.total)
        certificate.token = signing.sign(statement, private_key())
        audit.record("certificate.issue", f"certificate:{certificate.id}",
                     f"household:{household.id}", actor=actor)
    return certificate


def withdraw(actor: User, certificate: Certificate, reason: str) -> Certificate:
    """Withdraw a certificate: it verifies as withdrawn from now on."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for withdrawing the certificate."))
    if len(reason) > REASON_MAX:
        raise DomainError(_("The reason is too long (at most %(count)d characters).",
                            count=REASON_MAX))
    if certificate.withdrawn_at is not None:
        raise DomainError(_("This certificate has already been withdrawn."))
    require(actor, "certificates.withdraw", certificate)
    with transaction():
        certificate.withdrawn_at = utcnow()
        certificate.withdrawn_by_id = actor.id
        certificate.withdraw_reason = reason
        audit.record("certificate.withdraw", f"certificate:{certificate.id}", reason, actor=actor)
    return certificate


@dataclass
class Verdict:
    """What the verification page says about a token."""

    statement: Optional[signing.Statement]  # None: not issued by this site, or altered
    withdrawn_at: Optional[datetime] = None
    reason: str = ""

    @property
    def genuine(self) -> bool:
        """Signed by this site and not withdrawn."""
        return self.statement is not None and self.withdrawn_at is None


def check(token: str) -> Verdict:
    """Verify a token's signature, then whether its certificate has been withdrawn."""
    statement = signing.verify(token, public_keys())
    if statement is None:
        return Verdict(None)
    certificate = db.session.get(Certificate, statement.number) \
        if 0 < statement.number < 2**31 else None
    if certificate is not None and certificate.withdrawn_at is not None:
        return Verdict(statement, certificate.withdrawn_at, certificate.withdraw_reason)
    return Verdict(statement)


def statement_of(certificate: Certificate) -> signing.Statement:
    """The statement a stored certificate signed (read back from its own token)."""
    return signing.Statement.decode(signing.unb64url(certificate.token)[:-signing.SIGNATURE_BYTES])
