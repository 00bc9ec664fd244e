"""The provider's groups claim to roles: the patterns of OIDC_GROUP_ROLES and the GroupRoleRule table.

A pattern such as `pai-{workspace}-{role}` turns the group `pai-118493-approver` into the
approver role in workspace 118493; `pai-all-{role}` turns `pai-all-auditor` into the
auditor role in every workspace. A group naming a workspace the dashboard does not know
gives nothing. Rules in admin map one group, by exact name or id (Entra ID sends ids),
to a role; staff edit them through the services below, audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from approvals.errors import ApplicationError
from approvals.models import GroupRoleRule, Role, Workspace
from approvals.services import audit_events

# What one sign-in reads at most: a provider sending more groups than this is cut short.
MAX_GROUPS = 1000
MAX_GROUP_CHARS = 255

# (role, workspace pk or None for every workspace)
Grant = tuple[str, int | None]

_PLACEHOLDER = re.compile(r"\{(workspace|role)\}")


@lru_cache(maxsize=32)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """`pai-{workspace}-{role}` as a regular expression with the groups `workspace` and `role`."""
    parts, seen, last = [], set(), 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[last : match.start()]))
        name = match.group(1)
        if name in seen:
            raise ValueError(f"OIDC_GROUP_ROLES pattern {pattern!r} names {{{name}}} twice.")
        seen.add(name)
        roles = "|".join(re.escape(role) for role in Role.values)
        parts.append(f"(?P<role>{roles})" if name == "role" else "(?P<workspace>.+?)")
        last = match.end()
    if "role" not in seen:
        raise ValueError(f"OIDC_GROUP_ROLES pattern {pattern!r} has no {{role}}.")
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts))


def groups_from_claim(value: Any) -> list[str]:
    """The groups claim as a list of strings: a list, or one string; anything else is no group."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [g for g in value[:MAX_GROUPS] if isinstance(g, str) and 0 < len(g) <= MAX_GROUP_CHARS]


def grants_for_groups(groups: Iterable[str]) -> set[Grant]:
    """The roles the groups give, by the patterns and the rules (two queries)."""
    groups = list(groups)
    if not groups:
        return set()
    patterns = [compile_pattern(p) for p in settings.OIDC_GROUP_ROLES]
    workspaces = dict(Workspace.objects.values_list("workspace_id", "pk"))
    grants: set[Grant] = set()
    for group in groups:
        for pattern in patterns:
            match = pattern.fullmatch(group)
            if match is None:
                continue
            workspace_id = match.groupdict().get("workspace")
            if workspace_id is None:
                grants.add((match["role"], None))
            elif workspace_id in workspaces:
                grants.add((match["role"], workspaces[workspace_id]))
    for role, workspace_pk in GroupRoleRule.objects.filter(group__in=groups).values_list("role", "workspace_id"):
        grants.add((role, workspace_pk))
    return grants


# --- the rules, as staff edit them in admin ----------------------------------------------


def group_rule_create(
    *, group: str, role: str, workspace: Workspace | None, by: str, client_ip: str | None = None
) -> GroupRoleRule:
    group = (group or "").strip()
    if not group or len(group) > MAX_GROUP_CHARS:
        raise ApplicationError(_("Name the group, in at most %(max)s characters.") % {"max": MAX_GROUP_CHARS})
    if role not in Role.values:
        raise ApplicationError(_("%(role)s is not a role.") % {"role": role}, field="role")
    with transaction.atomic():
        rule, created = GroupRoleRule.objects.get_or_create(group=group, role=role, workspace=workspace)
        if created:
            audit_events.group_rule_changed(rule, created=True, by=by, client_ip=client_ip)
    return rule


def group_rule_delete(*, rule: GroupRoleRule, by: str, client_ip: str | None = None) -> None:
    """The rule goes; memberships it gave end at each person's next sign-in."""
    with transaction.atomic():
        audit_events.group_rule_changed(rule, created=False, by=by, client_ip=client_ip)
        rule.delete()
