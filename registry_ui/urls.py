from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from approvals.web.views.health import healthz

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("approvals.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("approvals.web.urls")),
]
