"""Saving a village's ledger settings: star thresholds on the score and the objection window.

Reading them is app/ledger/reads.settings_for, which gives unsaved defaults until the
committee first saves here.
"""
from flask_babel import gettext as _

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import InvalidInput, NotAllowed
from app.extensions import db
from app.models import Region, User, VillageSettings

MAX_THRESHOLD = 1_000_000
MAX_OBJECTION_DAYS = 60


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(stars: tuple, objection_days) -> None:
    if not all(_whole(s) and 1 <= s <= MAX_THRESHOLD for s in stars):
        raise InvalidInput(_("Star thresholds must be whole numbers from 1 to %(max)d.",
                             max=MAX_THRESHOLD))
    if any(low >= high for low, high in zip(stars, stars[1:])):
        raise InvalidInput(_("Each star needs a higher score than the star before it."))
    if not _whole(objection_days) or not 1 <= objection_days <= MAX_OBJECTION_DAYS:
        raise InvalidInput(_("Objection days must be a whole number from 1 to %(max)d.",
                             max=MAX_OBJECTION_DAYS))


def save_settings(actor: User, village_id: int, star2: int, star3: int, star4: int, star5: int,
                  objection_days: int) -> VillageSettings:
    """Store a village's increasing star thresholds and its objection days (1-60), audited."""
    with transaction(conflict=_("These settings were just saved by someone else. Please try again.")):
        # Two first saves at once both insert the row: the later one is asked to try again.
        village = db.session.get(Region, village_id)
        if village is None or not village.is_village:
            raise NotAllowed(_("This village is not in your area."))
        permissions.require(actor, "village.manage", village.id, _("This village is not in your area."))
        stars = (star2, star3, star4, star5)
        _check(stars, objection_days)
        settings = db.session.get(VillageSettings, village.id)
        if settings is None:
            settings = VillageSettings(village_id=village.id)
            db.session.add(settings)
        settings.star2, settings.star3, settings.star4, settings.star5 = stars
        settings.objection_days = objection_days
        audit.record("ledger.settings", f"village:{village.id}",
                     f"stars {'/'.join(map(str, stars))}, objection days {objection_days}", actor)
    return settings
