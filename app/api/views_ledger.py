"""API calls on households and the points ledger, through the same services and access rules as the pages."""
from flask_babel import gettext as _

from app.access import permissions
from app.api import bp, schemas
from app.api.spec import operation, require_cursor
from app.errors import Conflict, NotAllowed, NotFound
from app.ledger import reads, services as ledger
from app.models import Household, LedgerEntry, User


def _entry(entry: LedgerEntry) -> schemas.EntryOut:
    return schemas.EntryOut(id=entry.id, points=entry.points, kind=entry.kind, rule_id=entry.rule_id,
                            note=entry.note, created_at=entry.created_at)


def _readable_household(actor: User, household_id: int) -> Household:
    """A household whose ledger the actor may read; 403 for roles that read none, 404 outside scope."""
    permissions.require(actor, "ledger.read")
    household = reads.household_in_scope(actor, household_id)
    if household is None:
        raise NotFound(_("This household does not exist, or it is not in your area."))
    return household


@operation(bp, "GET", "/households/<int:household_id>", "A household's balance and score",
           responses={200: schemas.HouseholdOut})
def household_get(actor, household_id: int):
    """The household itself, its village's committee, the grid leader of its grid and officials
    above it."""
    household = _readable_household(actor, household_id)
    return schemas.HouseholdOut(id=household.id, name=household.head_name,
                                village_id=household.village_id, balance=household.balance,
                                score=household.score), 200


@operation(bp, "GET", "/households/<int:household_id>/entries", "A household's entries",
           query=schemas.PageQuery, responses={200: schemas.EntriesPage})
def household_entries(actor, household_id: int, query: schemas.PageQuery):
    """Whoever reads the household reads its entries. Newest first by `created_at` (the later id
    first among entries of one moment), a keyset page at a time; pass `next` back as `before`
    (a malformed one is 400)."""
    household = _readable_household(actor, household_id)
    require_cursor(query.before, reads.history_key(query.before))
    page = reads.history_page(household.id, query.before, query.limit)
    return schemas.EntriesPage(entries=[_entry(e) for e in page.items], next=page.next_cursor), 200


@operation(bp, "GET", "/rules", "The village's rules", responses={200: schemas.RulesOut})
def rules_list(actor):
    """The active rules of the account's own village (committee, grid leader, household)."""
    permissions.require(actor, "ledger.read")
    if actor.village_id is None:
        raise NotAllowed(_("Your account belongs to no village."))
    rules = [schemas.RuleOut(id=r.id, code=r.code, name=r.name, category=category.name, points=r.points)
             for category, group in reads.active_rules_by_category(actor.village_id).items()
             for r in group]
    return schemas.RulesOut(rules), 200


@operation(bp, "POST", "/awards", "Award or deduct points", body=schemas.AwardIn,
           responses={201: schemas.EntriesOut}, errors=(409, 422))
def awards_create(actor, body: schemas.AwardIn):
    """Apply a rule to households, all or none; the same key and body again return the first entries.

    The caller's own household in the list is not awarded (no one awards their own household) and
    does not refuse the batch: it is listed in `skipped` for another member of the committee. A list
    of only the caller's own household is refused (403 `own_household`)."""
    permissions.require(actor, "api.ledger_write")
    permissions.require(actor, "ledger.committee")
    # Keys are the caller's own: another account's key can neither collide nor be probed.
    key = f"api:{actor.id}:{body.idempotency_key}" if body.idempotency_key else None
    entries, left = ledger.award_others(actor, body.household_ids, body.rule_id, body.note,
                                        idempotency_key=key)
    # The entries are committed: reading them again takes no write lock.
    if any(e.rule_id != body.rule_id or e.note != body.note.strip()[:500] for e in entries):
        raise Conflict(_("This request key was already used for a different request."),
                       code="idempotency_key_reused")
    return schemas.EntriesOut(entries=[_entry(e) for e in entries],
                              skipped=[schemas.SkippedOut(household_id=h, reason="own_household")
                                       for h in left]), 201


@operation(bp, "POST", "/entries/<int:entry_id>/reversal", "Reverse an entry", body=schemas.ReversalIn,
           responses={201: schemas.EntryOut}, errors=(409, 422))
def entry_reverse(actor, entry_id: int, body: schemas.ReversalIn):
    """Cancel an entry with a reversing entry; a second reversal of one entry is 409."""
    permissions.require(actor, "api.ledger_write")
    permissions.require(actor, "ledger.committee")
    if reads.entry_in_scope(actor, entry_id) is None:
        raise NotFound(_("This entry does not exist, or it is not in your area."))
    return _entry(ledger.reverse(actor, entry_id, body.reason)), 201
