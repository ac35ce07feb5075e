"""Supervisors' pages for follow-ups and the outbox: campaign results, and the messages that failed with a retry."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import MessageTemplate, OutboundMessage
from backoffice.staff.roles import Role, require_role

PER_PAGE = 50
OUTBOX_TABS = ["failed", "pending", "sent", "all"]


def _supervisor(request: HttpRequest) -> None:
    require_role(request.user, Role.SUPERVISOR)


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """Campaign results: scheduled, sent, failed, refused, coupons issued and money, per campaign and week."""
    _supervisor(request)
    try:
        weeks = min(max(int(request.GET.get("weeks", 8)), 1), 52)
    except ValueError:
        weeks = 8
    context = followups.campaign_results(weeks=weeks) | {
        "weeks": weeks,
        "week_choices": sorted({4, 8, 12, 26, weeks}),
        "refusals": followups.recent_refusals(),
        "upcoming": followups.upcoming(),
        "failed_messages": OutboundMessage.objects.filter(state=OutboundMessage.State.FAILED).count(),
    }
    return render(request, "followups/results.html", context)


@require_GET
@vary_on_headers("HX-Request")
def outbox_page(request: HttpRequest) -> HttpResponse:
    """Everything the store sent or tries to send; failed messages first, each with a retry button."""
    _supervisor(request)
    tab = request.GET.get("state", "failed")
    if tab not in OUTBOX_TABS:
        tab = "failed"
    rows = OutboundMessage.objects.select_related("customer", "case").order_by("-created_at", "-pk")
    if tab == "pending":
        # "Sending" is a moment inside a worker, or a worker that died; the sweep returns such rows to the queue.
        rows = rows.filter(state__in=[OutboundMessage.State.PENDING, OutboundMessage.State.SENDING])
    elif tab != "all":
        rows = rows.filter(state=tab)
    counts = dict(OutboundMessage.objects.values_list("state").annotate(n=Count("pk")).order_by())
    counts["pending"] = counts.get("pending", 0) + counts.pop("sending", 0)
    counts["all"] = sum(counts.values())
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    # Each message names the template it came from, by the name store admins gave it (not its key).
    keys = {message.template_key for message in page if message.template_key}
    template_names = dict(MessageTemplate.objects.filter(key__in=keys).values_list("key", "name")) if keys else {}
    for message in page:
        message.template_name = template_names.get(message.template_key, message.template_key)
    context = {
        "tab": tab,
        "tabs": [(key, _tab_label(key), counts.get(key, 0)) for key in OUTBOX_TABS],
        "page": page,
    }
    template = "followups/outbox.html"
    if request.htmx:
        template += "#outbox-results"
    return render(request, template, context)


def _tab_label(key: str) -> str:
    return str(OutboundMessage.State(key).label) if key != "all" else _("All")


@require_POST
def retry_message(request: HttpRequest, pk: int) -> HttpResponse:
    _supervisor(request)
    message = get_object_or_404(OutboundMessage, pk=pk)
    if not outbox.retry_failed(message=message, actor=request.user):
        messages.info(request, _("That message is no longer failed; nothing to retry."))
        return redirect(_back(request))
    # Sent now, so the supervisor sees what happened (a worker that took it first is fine: the claim is one).
    with translation.override(settings.LANGUAGE_CODE):  # what the row records is in the store's language
        outbox.deliver(message.pk)
    message.refresh_from_db()
    customer = message.customer.nickname if message.customer_id else "—"
    if message.state == OutboundMessage.State.SENT:
        messages.success(request, _("Sent to %(customer)s.") % {"customer": customer})
    elif message.last_error and message.state in (OutboundMessage.State.PENDING, OutboundMessage.State.FAILED):
        messages.warning(
            request,
            _("Not sent to %(customer)s: %(error)s It is tried again by itself at %(time)s.")
            % {
                "customer": customer,
                "error": message.last_error,
                "time": timezone.localtime(message.send_after).strftime("%H:%M"),
            },
        )
    else:
        messages.info(request, _("The message to %(customer)s is being sent.") % {"customer": customer})
    return redirect(_back(request))


@require_POST
def retry_all(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    retried = outbox.retry_all_failed(actor=request.user)
    messages.success(
        request,
        _(
            "%(count)s failed message(s) queued again: they go out within a minute; any the gateway still refuses come back to this list."
        )
        % {"count": retried},
    )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("followups:outbox")
