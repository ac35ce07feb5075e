"""Logistics desk pages: thin views that check the role, parse a form, call one service and render.

Every page checks the person against the desk's access declaration (`backoffice.cases.access.LOGISTICS`), and every
case URL fetches its case with `get_case_for`, so no logistics URL serves another desk's case.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from backoffice.cases import page as casepage
from backoffice.cases import queues
from backoffice.cases import services as casework
from backoffice.cases.access import LOGISTICS, SUPERVISE, VIEW, WORK, get_case_for, require_desk
from backoffice.cases.actions import form_errors_to_messages, handle_common_action, take_next_and_open
from backoffice.cases.forms import NoteOnlyForm
from backoffice.cases.tables import QueuePaginator
from backoffice.errors import DomainError
from backoffice.models import Case, Desk, StoreSettings
from logistics import detection, forms, queries, services
from logistics.filters import LogisticsCaseFilter
from logistics.models import OutOfStockOffer
from logistics.tables import LogisticsCaseTable

PER_PAGE = 25


def _agent(request: HttpRequest) -> None:
    require_desk(request.user, LOGISTICS.desk, WORK)


@require_GET
@vary_on_headers("HX-Request")
def queue(request: HttpRequest, queue: str) -> HttpResponse:
    _agent(request)
    visible = queues.visible_queues(request.user)
    if queue not in visible:
        raise Http404
    store = StoreSettings.load()
    case_filter = LogisticsCaseFilter(request.GET, queryset=queries.queue_cases(queue, user=request.user, store=store))
    table = LogisticsCaseTable(case_filter.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": QueuePaginator}).configure(table)
    context = {
        "queue": queue,
        "queues": visible,
        "filter": case_filter,
        "table": table,
        "queue_label": visible[queue],
        "last_sweep": queries.last_sweep(),
        "report_form": forms.ReportOutOfStockForm(),
    }
    template = "logistics/queue.html"
    if request.htmx and request.htmx.target == "queue-results":
        template += "#queue-results"
    return render(request, template, context)


@require_GET
def nav_counts(request: HttpRequest) -> HttpResponse:
    _agent(request)
    counts = queues.queue_counts(user=request.user, desk=Desk.LOGISTICS)
    return render(request, "logistics/nav_counts.html", {"counts": counts})


@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    _agent(request)
    return take_next_and_open(
        request,
        desk=Desk.LOGISTICS,
        empty_message=_("No unassigned logistics exception is waiting. Well done!"),
        queue_url=reverse("logistics:queue", args=["mine"]),
    )


@require_POST
def run_detection(request: HttpRequest) -> HttpResponse:
    """Supervisors: run a full detection sweep now instead of waiting for the next one."""
    require_desk(request.user, LOGISTICS.desk, SUPERVISE)
    result = detection.sweep(full=True, actor=request.user)
    messages.success(
        request,
        _("Detection ran in %(seconds).1f s: %(opened)s new, %(cleared)s cleared, %(closed)s closed by themselves.")
        % {"seconds": result.seconds, "opened": result.opened, "cleared": result.cleared, "closed": result.auto_closed},
    )
    queue = request.POST.get("queue", "unassigned")
    return redirect("logistics:queue", queue=queue if queue in queues.visible_queues(request.user) else "unassigned")


@require_POST
def report_out_of_stock(request: HttpRequest) -> HttpResponse:
    """L2/L3: an agent reports an order that cannot ship; its case opens (or the open one is shown)."""
    _agent(request)
    form = forms.ReportOutOfStockForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("logistics:queue", queue="mine")
    try:
        case = services.report_out_of_stock(order=form.order, actor=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("logistics:queue", queue="mine")
    messages.success(request, _("Out of stock recorded on %(number)s.") % {"number": case.number})
    return redirect("logistics:case", number=case.number)


def _case_context(request: HttpRequest, case: Case) -> dict:
    context = casepage.common_context(request, case, case_url=reverse("logistics:case", args=[case.number]))
    offers = queries.stock_offers(case)
    now = timezone.localtime()
    return context | {
        "problems": queries.case_problems(case),
        "contacts": queries.courier_contacts(case),
        "offers": offers,
        "pending_offer": next((o for o in offers if o.choice == OutOfStockOffer.Choice.PENDING), None),
        "wait_coupon_fen": services.wait_coupon_fen(),
        "actions": [a for a in casework.available_actions(case) if a.name not in ("resolve", "close")],
        "can_close": case.status in ("new", "in_progress", "waiting", "resolved"),
        "contact_form": forms.CourierContactForm(),
        "notify_form": forms.NotifyForm(kind=case.kind),
        "tracking_form": forms.TrackingUpdateForm(initial={"at": now.replace(second=0, microsecond=0)}),
        "resolve_form": forms.ResolveForm(),
        "choice_form": forms.OfferChoiceForm(),
    }


@require_GET
@vary_on_headers("HX-Request")
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_for(request.user, LOGISTICS.desk, number, VIEW)
    template = "logistics/case.html"
    if request.htmx and request.htmx.target == "case-panel":
        template += "#case-panel"
    return render(request, template, _case_context(request, case))


def _do_action(request: HttpRequest, case: Case, action: str) -> None:
    """Parse the action's form and call its service; a refused rule becomes a message, never a crash."""
    user, post = request.user, request.POST
    if action not in ("resolve", "close") and handle_common_action(request, case, action):
        return
    if action == "contact_courier":
        form = forms.CourierContactForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        data = form.cleaned_data
        services.contact_courier(
            case=case,
            actor=user,
            contact=data["contact"],
            result=data["result"],
            channel=data["channel"],
            next_check_at=data["next_check_at"],
            courier=data["courier"],
        )
        messages.success(request, _("Courier contact recorded."))
    elif action == "notify":
        form = forms.NotifyForm(post, kind=case.kind)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        services.notify_customer(case=case, actor=user, template_key=form.cleaned_data["template"])
        messages.success(request, _("The customer was told."))
    elif action == "offer":
        services.offer_out_of_stock_choice(case=case, actor=user)
        messages.success(request, _("Offer sent: wait with a coupon, or a refund."))
    elif action == "offer_choice":
        form = forms.OfferChoiceForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        offer = services.record_offer_choice(case=case, actor=user, choice=form.cleaned_data["choice"])
        if offer.choice == OutOfStockOffer.Choice.REFUND:
            messages.success(request, _("Refund approved; the case is resolved."))
        else:
            messages.success(request, _("The customer waits; the coupon goes out with the follow-ups."))
    elif action == "tracking":
        form = forms.TrackingUpdateForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        data = form.cleaned_data
        services.record_tracking_update(
            case=case,
            actor=user,
            at=data["at"],
            state=data["state"],
            place=data["place"],
            description=data["description"],
        )
        messages.success(request, _("Tracking updated."))
    elif action == "resolve":
        form = forms.ResolveForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        services.resolve_case(
            case=case, actor=user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
        )
        messages.success(request, _("Resolved."))
    elif action == "close":
        form = NoteOnlyForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        services.close_case(case=case, actor=user, note=form.cleaned_data["note"])
        messages.success(request, _("Closed."))
    else:
        raise Http404


@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    case = get_case_for(request.user, LOGISTICS.desk, number, action)
    try:
        _do_action(request, case, action)
    except DomainError as error:
        messages.error(request, error.message)
    if request.htmx:
        return casepage.refreshed_panel(
            request,
            "logistics/case.html",
            _case_context(request, get_case_for(request.user, LOGISTICS.desk, number, VIEW)),
        )
    return redirect("logistics:case", number=number)
