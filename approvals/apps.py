from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Model version approvals"

    def ready(self) -> None:
        # Connects the sign-in signal receiver that starts a session's expiry clocks.
        from approvals.web import security  # noqa: F401
