"""Creating accounts, changing roles and resetting passwords, with an audit entry for each."""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.access import lookup, permissions
from app.auth.passwords import check_new_password
from app.auth.services import normalise_username, revoke_api_tokens
from app.database import transaction
from app.errors import Conflict, InvalidInput, NotAllowed
from app.extensions import db
from app.models import AuditLog, Grid, Household, Region, RegionLevel, Role, Shop, User
from app.models.user import SCOPE_OF
from app.pagination import Page, keyset_page, like_pattern


def user_or_404(user_id: int) -> User:
    """Any account by id (the administrator's pages), or 404."""
    return lookup.get_or_404(User, user_id)


def accounts_page(q: str, cursor: Optional[str], limit: int) -> Page:
    """A page of accounts by username, those containing `q` when it is given."""
    query = sa.select(User)
    if q:
        query = query.where(User.username.like(like_pattern(q), escape="\\"))
    return keyset_page(query, [User.username], cursor, limit)


def audit_page(cursor: Optional[str], limit: int) -> Page:
    """A page of the audit log, newest first."""
    return keyset_page(sa.select(AuditLog), [AuditLog.id], cursor, limit, descending=True)


def scope_target(role: Role, scope_id: Optional[int]):
    """The object an account of `role` is scoped to, checked to be of the right kind."""
    column = SCOPE_OF[role]
    if column is None:
        return None
    model = {"region_id": Region, "household_id": Household, "shop_id": Shop, "grid_id": Grid}[column]
    target = db.session.get(model, scope_id) if scope_id else None
    if target is None:
        raise InvalidInput(_("The scope %(id)s does not exist for this role.", id=scope_id))
    if role == Role.COMMITTEE and target.level != RegionLevel.VILLAGE:
        raise InvalidInput(_("A committee account must belong to a village."))
    if role == Role.UNIT and target.level == RegionLevel.VILLAGE:
        raise InvalidInput(_("A responsible unit serves a township, county or city, not a village."))
    return target


def create_account(username: str, password: str, role: Role, scope_id: Optional[int],
                   display_name: str = "", actor: Optional[User] = None,
                   own_household_id: Optional[int] = None) -> User:
    """Create an account with one role and its scope; usernames are unique regardless of case.
    A password chosen by someone else (`actor`) must be changed at the first sign-in."""
    username = normalise_username(username)
    with transaction(conflict=_("The username %(name)s is taken.", name=username)):
        check_new_password(password, username)
        if db.session.scalar(sa.select(User.id).where(User.username == username)):
            raise Conflict(_("The username %(name)s is taken.", name=username))
        target = scope_target(role, scope_id)
        if actor is not None:  # no actor: the command line
            permissions.require(actor, "accounts.create_unit" if role == Role.UNIT else "accounts.create",
                                target)
        user = User(username=username, role=role.value, display_name=display_name.strip())
        if target is not None:
            setattr(user, SCOPE_OF[role], target.id)
        if role == Role.GRID_LEADER and target is not None:
            _one_leader_per_grid(target)
        if own_household_id is not None:
            if role != Role.COMMITTEE:
                raise InvalidInput(_("Only committee members are linked to their own household."))
            user.household_id = _own_household(target.id, own_household_id).id
        user.set_password(password)
        user.must_change_password = actor is not None
        db.session.add(user)
        audit.record("account_created", target=username, detail=f"role={role.value} scope={scope_id}",
                     actor=actor)
    return user


@transaction()
def link_own_household(user: User, household_id: Optional[int], actor: Optional[User]) -> None:
    """Record which household of its village a committee member lives in (None unlinks),
    so the ledger refuses to let the member change that household's points."""
    if user.role != Role.COMMITTEE:
        raise InvalidInput(_("Only committee members are linked to their own household."))
    household = _own_household(user.region_id, household_id) if household_id else None
    user.household_id = household.id if household else None
    audit.record("own_household_linked", target=user.username,
                 detail=f"household={household.id if household else None}", actor=actor)


def _own_household(village_id: Optional[int], household_id: int) -> Household:
    """A household of the committee's village, or InvalidInput."""
    household = db.session.get(Household, household_id)
    if household is None or household.village_id != village_id:
        raise InvalidInput(_("That household is not in this committee's village."))
    return household


def _one_leader_per_grid(grid: Grid) -> None:
    taken = db.session.scalar(sa.select(User.id).where(User.role == Role.GRID_LEADER,
                                                       User.grid_id == grid.id, User.active))
    if taken:
        raise Conflict(_("This grid already has a grid leader account."))


@transaction()
def change_role(user: User, role: Role, scope_id: Optional[int], actor: User) -> None:
    """Give an account another role and scope (administrators only); refused, nothing changes."""
    permissions.require(actor, "accounts.admin")
    if user.id == actor.id:
        raise NotAllowed(_("You cannot change your own role."))
    target = scope_target(role, scope_id)
    old = f"{user.role}:{_scope_id(user)}"
    own = _kept_own_household(user, role, target)
    for column in ("region_id", "household_id", "shop_id", "grid_id"):
        setattr(user, column, None)
    user.role = role.value
    if target is not None:
        setattr(user, SCOPE_OF[role], target.id)
    if own is not None:
        user.household_id = own
    user.end_sessions()
    audit.record("role_changed", target=user.username, detail=f"{old} -> {role.value}:{scope_id}",
                 actor=actor)


@transaction()
def set_active(user: User, active: bool, actor: User) -> None:
    """Disable or re-enable an account; disabled accounts cannot sign in."""
    if user.id == actor.id:
        raise NotAllowed(_("You cannot disable your own account."))
    permissions.require(actor, "accounts.switch", user)
    user.active = active
    user.end_sessions()
    if not active:
        revoke_api_tokens(user)
    audit.record("account_enabled" if active else "account_disabled", target=user.username,
                 actor=actor)


@transaction()
def reset_password(user: User, password: str, actor: User) -> None:
    """Set a new password for someone else's account: it ends the account's sessions and must be
    changed at the next sign-in. One's own password is changed with the current one instead."""
    if user.id == actor.id:
        raise NotAllowed(_("Change your own password on the password page, with your current one."),
                         code="own_password_reset")
    permissions.require(actor, "accounts.reset", user)
    check_new_password(password, user.username)
    user.set_password(password)
    user.must_change_password = True
    user.end_sessions()
    revoke_api_tokens(user)
    audit.record("password_reset", target=user.username, actor=actor)


def _kept_own_household(user: User, role: Role, target) -> Optional[int]:
    """The own household a committee member keeps through a role change to another staff role
    in the same village, so the ledger still refuses to let them move its points."""
    if user.role == Role.HOUSEHOLD or role == Role.HOUSEHOLD or user.household_id is None:
        return None
    village_id = getattr(target, "village_id", None)
    if role in (Role.COMMITTEE, Role.OFFICIAL) and target is not None:
        village_id = target.id
    household = db.session.get(Household, user.household_id)
    return household.id if household is not None and household.village_id == village_id else None


def _scope_id(user: User) -> Optional[int]:
    column = SCOPE_OF[Role(user.role)]
    return getattr(user, column) if column else None


def accounts_of_households(household_ids: list[int]) -> dict[int, list[User]]:
    """The household sign-in accounts of several households, in one query (a committee member
    linked to their own household is not one of them)."""
    result: dict[int, list[User]] = {}
    if household_ids:
        for user in db.session.scalars(sa.select(User).where(User.household_id.in_(household_ids),
                                                             User.role == Role.HOUSEHOLD)
                                       .order_by(User.username)):
            result.setdefault(user.household_id, []).append(user)
    return result
