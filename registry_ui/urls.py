from django.contrib import admin
from django.urls import include, path
from mozilla_django_oidc.views import OIDCLogoutView

from approvals.web.views.health import healthz
from approvals.web.views.login import SignInView

urlpatterns = [
    path("accounts/login/", SignInView.as_view(), name="login"),
    # Sign-out also ends the provider's session when it offers an end-session endpoint
    # (OIDC_OP_LOGOUT_URL_METHOD); a password session just ends here.
    path("accounts/logout/", OIDCLogoutView.as_view(), name="logout"),
    # oidc/authenticate/ starts sign-in at the provider; oidc/callback/ is the redirect URI to register.
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("approvals.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("approvals.web.urls")),
]
