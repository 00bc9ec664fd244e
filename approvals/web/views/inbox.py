"""The inbox: a person's notifications, unread first; mark one or all read; their e-mail preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals.display.notifications import headline
from approvals.errors import ApplicationError
from approvals.selectors.inbox import chosen_language, inbox_page
from approvals.services.inbox import (
    email_choices,
    notification_mark_read,
    notifications_mark_all_read,
    preferences_save,
    remember_language,
)
from approvals.services.mail import notification_path
from approvals.web.forms.filters import PageForm
from approvals.web.forms.preferences import PreferencesForm
from approvals.web.helpers import status_for


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    form = PageForm(request.GET)
    valid = form.is_valid()
    page = inbox_page(request.user, page=form.page_number) if valid else None
    rows = [(n, headline(n.kind, n.event, n.model_id), notification_path(n)) for n in page.items] if page else []
    return render(request, "approvals/inbox.html", {"form": form, "page": page, "rows": rows}, status=status_for(valid))


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read; with `open`, go on to the page it is about."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=notification_id)
    except ApplicationError:
        raise Http404(_("You have no such notification.")) from None
    if request.POST.get("open"):
        return redirect(notification_path(notification))
    return redirect("inbox")


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    language = chosen_language(request.user)
    form = PreferencesForm(request.POST or None, choices=email_choices(request.user), language=language)
    if request.method == "POST":
        if form.is_valid():
            preferences_save(
                user=request.user, email=form.email_choices(), language=form.cleaned_data["language"] or ""
            )
            remember_language(user=request.user, language=get_language())
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notification_preferences")
        return render(request, "approvals/preferences.html", {"form": form}, status=400)
    return render(request, "approvals/preferences.html", {"form": form})
