from django.urls import path

from . import views

urlpatterns = [
    path("", views.review_queue, name="home"),
    path("versions/", views.version_list, name="version_list"),
    path("models/<str:model_id>/", views.model_detail, name="model_detail"),
    path("models/<str:model_id>/versions/<str:version_name>/", views.version_detail, name="version_detail"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
