from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Model version approvals"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        # Connects the sign-in signal receivers that start a session's expiry clocks and remember
        # the language for a person's mails, the User receivers that revoke API tokens on a
        # password change or a deactivation, and the receivers that audit every sign-in and
        # failed sign-in.
        from approvals.services import (
            audit_keys,
            inbox,  # noqa: F401
            tokens,  # noqa: F401
        )
        from approvals.web import security, sign_in_audit  # noqa: F401
        from approvals.web.oidc import checks as sso_checks

        # `migrate` and `check` refuse a production without the audit log's keys.
        checks.register(audit_keys.check_configuration)
        # ... and a single sign-on setup that cannot work (no client) or is unsafe (plain HTTP).
        checks.register(sso_checks.check_configuration)
        # A later migration that rebuilds a table on SQLite drops its search triggers: put them back.
        post_migrate.connect(_search_triggers, sender=self)


def _search_triggers(sender, using: str = "default", **kwargs) -> None:
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from approvals.models.search import MIGRATION, ensure_sqlite_search

    connection = connections[using]
    # Only while the migration that made them is applied (migrating back below it removes them).
    if connection.vendor == "sqlite" and MIGRATION in MigrationRecorder(connection).applied_migrations():
        ensure_sqlite_search(connection)
