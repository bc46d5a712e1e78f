"""Who may do what: the roles' rules (django-rules), checked on the server by every view.

Capabilities are rules on the user alone (403 when missing); scoping rules take the object — an
enterprise or parcel, anything with `division_code` and `uscc`/`owner_uscc` — and views answer 404
for objects outside the user's scope, so a page never tells whether another firm exists.
"""

from __future__ import annotations

import rules

from mujun.reports.disclosure import Audience
from mujun.web.models import Role

BUREAU = {Role.ADMIN, Role.ANALYST}
READ_ONLY = {Role.LEADER, Role.DEPUTY}


def role_of(user) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "profile", None)
    if profile is not None:
        return profile.role
    return Role.ADMIN if user.is_superuser else None


def _has(*roles: str):
    allowed = {str(r) for r in roles}

    @rules.predicate
    def check(user) -> bool:
        return role_of(user) in allowed

    check.__name__ = "is_" + "_or_".join(sorted(allowed))
    return check


is_admin = _has(Role.ADMIN)
is_bureau = _has(*BUREAU)
is_land = _has(Role.LAND)
is_street = _has(Role.STREET)
is_enterprise = _has(Role.ENTERPRISE)
is_read_only = _has(*READ_ONLY)


@rules.predicate
def in_own_division(user, obj) -> bool:
    return obj is not None and user.profile.division_code == obj.division_code


@rules.predicate
def is_own_enterprise(user, obj) -> bool:
    uscc = getattr(obj, "uscc", None) or getattr(obj, "owner_uscc", None)
    return obj is not None and user.profile.uscc == uscc


# capabilities (no object)
rules.add_perm("mujun.view_overview", is_bureau | is_land | is_street | is_read_only)
rules.add_perm("mujun.list_enterprises", is_bureau | is_land | is_street | is_read_only)
rules.add_perm("mujun.view_map", is_bureau | is_land | is_street | is_read_only)
rules.add_perm("mujun.manage_data", is_bureau)
rules.add_perm("mujun.manage_runs", is_bureau)
rules.add_perm("mujun.handle_objections", is_bureau)
rules.add_perm("mujun.edit_presets", is_bureau)
rules.add_perm("mujun.view_audit", is_admin)
rules.add_perm("mujun.view_land", is_bureau | is_land | is_street)
rules.add_perm("mujun.screen_projects", is_bureau | is_land | is_street)
rules.add_perm("mujun.view_scitech", is_bureau | is_land | is_street | is_read_only)
rules.add_perm("mujun.edit_tasks", is_bureau)
rules.add_perm("mujun.view_tax_list", is_bureau | is_street)
rules.add_perm("mujun.export_published", is_bureau | is_land | is_street | is_read_only)

# scoping (with an object: an enterprise, a parcel, a result row, an objection)
# leaders and deputies see a firm's published figures (grade, scores, indicators), not its tax
rules.add_perm(
    "mujun.view_enterprise",
    is_bureau
    | is_land
    | is_read_only
    | (is_street & in_own_division)
    | (is_enterprise & is_own_enterprise),
)
# single-firm tax amounts: not for land officers (indicators only) nor leaders (published lists)
rules.add_perm(
    "mujun.view_tax",
    is_bureau | (is_street & in_own_division) | (is_enterprise & is_own_enterprise),
)
rules.add_perm(
    "mujun.view_parcel",
    is_bureau
    | is_land
    | is_read_only
    | (is_street & in_own_division)
    | (is_enterprise & is_own_enterprise),
)
rules.add_perm("mujun.file_objection", is_enterprise & is_own_enterprise)
rules.add_perm("mujun.view_objection", is_bureau | (is_enterprise & is_own_enterprise))


def sees_whole_district(user) -> bool:
    """True when `scope` leaves a queryset whole (no division or enterprise limit)."""
    return role_of(user) not in (None, Role.STREET, Role.ENTERPRISE)


def shows_tax(user) -> bool:
    """Whether the user reads single firms' tax in lists and aggregates (bureau; street officers,
    whose lists are their division's). Others get the published figures without it, and tax
    aggregates only where `mujun.reports.disclosure.disclosable`."""
    return user.has_perm("mujun.view_tax_list")


def audience(user) -> Audience:
    """What of a published list the user may read (who may download one at all is
    `mujun.export_published`)."""
    division = None if sees_whole_district(user) else user.profile.division_code
    return Audience(tax=shows_tax(user), division=division)


def scope(user, queryset, division_field: str = "division_code", uscc_field: str = "uscc"):
    """Limit a queryset to the rows the user may see in lists (by division or enterprise)."""
    if sees_whole_district(user):
        return queryset
    role = role_of(user)
    if role == Role.STREET:
        return queryset.filter(**{division_field: user.profile.division_code})
    if role == Role.ENTERPRISE:
        return queryset.filter(**{uscc_field: user.profile.uscc})
    if role is None:
        return queryset.none()
    return queryset


def scope_frame(user, frame, division_column: str = "division_code"):
    """`scope` for a Polars frame with a division column (the land pages' inventories)."""
    import polars as pl

    if sees_whole_district(user):
        return frame
    if role_of(user) == Role.STREET:
        return frame.filter(pl.col(division_column) == user.profile.division_code)
    return frame.clear()
