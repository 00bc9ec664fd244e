"""The login page: "Sign in with <provider>" when single sign-on is configured, and the password form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView

from approvals.web.local_login import sign_in_options


class SignInView(LoginView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sign_in_options()}
