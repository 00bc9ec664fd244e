"""Waiving a metric gate (staff, POST only): the version passes that gate; the waiver is audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals.errors import ApplicationError
from approvals.permissions import STAFF, role_required
from approvals.services.policies import gate_waive
from approvals.web.forms.gates import GateWaiverForm
from approvals.web.helpers import version_or_404
from approvals.web.security import client_ip


@role_required(STAFF)
@require_POST
def gate_waive_view(request: HttpRequest, model_id: str, version_name: str, gate_id: int) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user)
    form = GateWaiverForm(request.POST)
    if form.is_valid():
        try:
            gate_waive(
                version_id=version.pk,
                gate_id=gate_id,
                user=request.user,
                reason=form.cleaned_data["reason"],
                client_ip=client_ip(request),
            )
        except ApplicationError as exc:
            messages.error(request, _("The gate was not waived: %(why)s") % {"why": exc.message})
        else:
            messages.success(request, _("The gate is waived for this version; the waiver is in the audit log."))
    else:
        errors = "; ".join(message for field in form.errors.values() for message in field)
        messages.error(request, _("The gate was not waived: %(why)s") % {"why": errors})
    back = form.cleaned_data.get("back") if form.is_valid() else request.POST.get("back")
    if back == "detail":
        return redirect("version_detail", version.model.model_id, version.version_name)
    url = reverse("version_decide", args=[version.model.model_id, version.version_name])
    return redirect(f"{url}?status=Approved#h-gates")
