"""Who may call what. Same roles as the web pages; the services check them again.

These say whether the caller holds the role somewhere; whether they hold it in the
version's workspace is get_version's to say (403; outside their workspaces, 404)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from approvals.permissions import APPROVER, EDITOR, can_export_audit, has_role_somewhere


class EditorsWrite(BasePermission):
    """Anyone signed in reads; only editors write (staff is not implied, as in the services)."""

    message = "Only editors can edit versions."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in SAFE_METHODS or has_role_somewhere(request.user, EDITOR)


class Approvers(BasePermission):
    message = "Only approvers can approve or reject versions."

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role_somewhere(request.user, APPROVER)


class Commenters(BasePermission):
    """Anyone signed in reads a version's comments; editors and approvers write them."""

    message = "Only editors and approvers can comment."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in SAFE_METHODS or any(has_role_somewhere(request.user, r) for r in (EDITOR, APPROVER))


class CommentersOnly(Commenters):
    """Editors and approvers, whatever the method (retracting)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return any(has_role_somewhere(request.user, role) for role in (EDITOR, APPROVER))


class AuditExporters(BasePermission):
    """Everyone reads the events of their workspaces as JSON (as on the audit page); the CSV
    export, like the page's, is for auditors and staff."""

    message = "Exporting the audit log as CSV needs the auditor role."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.query_params.get("format") != "csv" or can_export_audit(request.user)


class Staff(BasePermission):
    message = "Only administrators (staff) can start a sync."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_staff)
