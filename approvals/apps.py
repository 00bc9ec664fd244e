from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Model version approvals"

    def ready(self) -> None:
        from django.core import checks

        # Connects the sign-in signal receivers that start a session's expiry clocks and remember
        # the language for a person's mails, and the User receivers that revoke API tokens on a
        # password change or a deactivation.
        from approvals.services import (
            audit_keys,
            inbox,  # noqa: F401
            tokens,  # noqa: F401
        )
        from approvals.web import security  # noqa: F401

        # `migrate` and `check` refuse a production without the audit log's keys.
        checks.register(audit_keys.check_configuration)
