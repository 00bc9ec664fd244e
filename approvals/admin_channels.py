"""Django admin for workspace notification channels and the audit stream's deliveries.

Staff add and change channels here; every save goes through services.channels
(checked, encrypted, audited). The URL and the secret are write-only: the form
never shows them, and leaving them empty keeps what is stored. Each channel shows
its recent delivery attempts; "Send a test" and "Resume" are actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin_base import ReadOnlyAdmin
from .errors import ApplicationError
from .models import AuditStreamSink, DeliveryAttempt, NotificationChannel
from .services.channels import channel_delete, channel_problems, channel_resume, channel_save, channel_test_request
from .services.notification_kinds import SUBSCRIBABLE
from .services.secret_box import keys_problem
from .web.security import client_ip

RECENT_ATTEMPTS = 20


class NotificationChannelForm(forms.ModelForm):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 80}),
        help_text=gettext_lazy("Write-only: it is stored encrypted and never shown. Leave empty to keep it."),
    )
    secret = forms.CharField(
        label=gettext_lazy("Secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Webhooks: whsec_ and base64 (required). DingTalk: the SEC… signing secret (optional). "
            "Lark: the signature secret (optional). WeCom: none. Write-only; leave empty to keep it."
        ),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=[(kind.value, kind.label) for kind in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = NotificationChannel
        fields = ("workspace", "name", "channel_type", "url", "secret", "events", "language", "enabled")

    def url_and_secret(self) -> tuple[str | None, str | None]:
        """What to store (None: keep what is stored). A new channel, or one of another type, starts afresh."""
        data = self.cleaned_data
        afresh = self.instance.pk is None or data.get("channel_type") != self.instance.channel_type
        return data.get("url") or (None if not afresh else ""), data.get("secret") or (None if not afresh else "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        url, secret = self.url_and_secret()
        if url == "":
            self.add_error("url", _("Enter the channel's URL."))
        problems = channel_problems(
            channel_type=data.get("channel_type", ""), url=url or None, secret=secret, events=data.get("events")
        )
        for field, message in problems.items():
            self.add_error(field if field in self.fields else None, message)
        if problem := keys_problem():
            self.add_error(None, problem)
        return data


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = NotificationChannelForm
    list_display = ("name", "workspace", "channel_type", "url_shown", "enabled", "paused_at", "consecutive_failures")
    list_filter = ("channel_type", "enabled", "workspace")
    list_select_related = ("workspace",)
    readonly_fields = ("url_shown", "paused_at", "paused_reason", "failing_since", "last_error", "recent_attempts")
    actions = ("send_test", "resume")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["workspace", "name", "channel_type", "url", "secret", "events", "language", "enabled"]
        return fields + list(self.readonly_fields) if obj is not None else fields

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, through the audited service
        return actions

    @admin.display(description=gettext_lazy("Recent delivery attempts"))
    def recent_attempts(self, channel: NotificationChannel) -> str:
        rows = channel.attempts.all()[:RECENT_ATTEMPTS]
        if not rows:
            return _("None yet.")
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    a.at.isoformat(timespec="seconds"),
                    a.message_id,
                    a.messages,
                    a.status_code or "-",
                    a.duration_ms,
                    _("ok") if a.ok else _("failed"),
                    a.error,
                )
                for a in rows
            ),
        )
        return format_html("<table><tbody>{}</tbody></table>", body)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        paused = NotificationChannel.objects.filter(paused_at__isnull=False).count()
        if paused:
            self.message_user(
                request,
                _("%(count)d channel(s) paused after failing for a day; fix and resume them.") % {"count": paused},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: NotificationChannel, form: Any, change: bool) -> None:
        url, secret = form.url_and_secret()
        channel_save(channel=obj, url=url, secret=secret, user=request.user, client_ip=client_ip(request))

    def delete_model(self, request: HttpRequest, obj: NotificationChannel) -> None:
        channel_delete(channel=obj, user=request.user, client_ip=client_ip(request))

    @admin.action(description=gettext_lazy("Send a test message"))
    def send_test(self, request: HttpRequest, queryset: QuerySet[NotificationChannel]) -> None:
        for channel in queryset.select_related("workspace"):
            try:
                channel_test_request(channel=channel, user=request.user, client_ip=client_ip(request))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("A test message to %(name)s is queued; its attempt appears on the channel's page.")
                    % {"name": channel.name},
                    messages.SUCCESS,
                )

    @admin.action(description=gettext_lazy("Resume delivery"))
    def resume(self, request: HttpRequest, queryset: QuerySet[NotificationChannel]) -> None:
        for channel in queryset.select_related("workspace"):
            channel_resume(channel=channel, user=request.user, client_ip=client_ip(request))
        self.message_user(request, _("Delivery resumed."), messages.SUCCESS)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    """Every attempt, for channels and the audit stream alike."""

    list_display = ("at", "channel", "sink", "message_id", "messages", "ok", "status_code", "duration_ms", "error")
    list_filter = ("ok", "sink", "channel")
    list_select_related = ("channel__workspace",)


@admin.register(AuditStreamSink)
class AuditStreamSinkAdmin(ReadOnlyAdmin):
    list_display = ("name", "consecutive_failures", "failing_since", "next_attempt_at", "last_error")
