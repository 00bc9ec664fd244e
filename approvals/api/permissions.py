"""Who may call what. Same roles as the web pages; the services check them again."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from approvals.permissions import APPROVER, EDITOR, can_export_audit, has_role


class EditorsWrite(BasePermission):
    """Anyone signed in reads; only the editor group writes (staff is not implied, as in the services)."""

    message = "Only members of the editor group can edit versions."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in SAFE_METHODS or has_role(request.user, EDITOR)


class Approvers(BasePermission):
    message = "Only members of the approver group can approve or reject versions."

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, APPROVER)


class AuditReaders(BasePermission):
    message = "Reading the audit log through the API needs the auditor role."

    def has_permission(self, request: Any, view: Any) -> bool:
        return can_export_audit(request.user)


class Staff(BasePermission):
    message = "Only administrators (staff) can start a sync."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_staff)
