"""After-sales desk pages: thin views that check the role, parse a form, call one service and render.

Every page checks the person against the desk's access declaration (`backoffice.cases.access.AFTERSALES`), and every
case URL fetches its case with `get_case_for`, so no after-sales URL serves another desk's case.
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

from aftersales import forms, offers, services
from aftersales.filters import CaseFilter
from aftersales.tables import CaseTable
from backoffice.cases import page as casepage
from backoffice.cases import queues
from backoffice.cases import services as casework
from backoffice.cases.access import AFTERSALES, SUPERVISE, VIEW, WORK, desks_open_to, get_case_for, require_desk
from backoffice.cases.actions import form_errors_to_messages, handle_common_action, take_next_and_open
from backoffice.cases.forms import NoteOnlyForm, staff_on_duty
from backoffice.cases.models import REASON_SHIPPING_PAYER, ShippingPayer
from backoffice.cases.tables import QueuePaginator
from backoffice.errors import DomainError
from backoffice.models import Case, Courier, Desk, StoreSettings
from backoffice.supervisor.forms import BulkAssignForm

PER_PAGE = 25


def _agent(request: HttpRequest) -> None:
    require_desk(request.user, AFTERSALES.desk, WORK)


@require_GET
@vary_on_headers("HX-Request")
def queue(request: HttpRequest, queue: str) -> HttpResponse:
    _agent(request)
    visible = queues.visible_queues(request.user)
    if queue not in visible:
        raise Http404
    store = StoreSettings.load()
    case_filter = CaseFilter(
        request.GET, queryset=queues.queue_cases(queue, user=request.user, desk=Desk.AFTERSALES, store=store)
    )
    supervisor = AFTERSALES.allows(request.user, SUPERVISE)
    table = CaseTable(case_filter.qs, exclude=() if supervisor else ("select",))
    RequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": QueuePaginator}).configure(table)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    my_rate, store_rate = queues.response_rates(since=today, agent=request.user)
    context = {
        "queue": queue,
        "queues": visible,
        "filter": case_filter,
        "table": table,
        "queue_label": visible[queue],
        "my_rate": my_rate,
        "store_rate": store_rate,
        "on_duty": staff_on_duty(request.user),
        "bulk_assign_form": BulkAssignForm() if supervisor else None,
    }
    template = "aftersales/queue.html"
    if request.htmx and request.htmx.target == "queue-results":
        template += "#queue-results"
    return render(request, template, context)


@require_GET
def nav_counts(request: HttpRequest) -> HttpResponse:
    _agent(request)
    counts = queues.queue_counts(user=request.user, desk=Desk.AFTERSALES)
    return render(request, "aftersales/nav_counts.html", {"counts": counts})


@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    _agent(request)
    return take_next_and_open(
        request,
        desk=Desk.AFTERSALES,
        empty_message=_("No unassigned case is waiting. Well done!"),
        queue_url=reverse("aftersales:queue", args=["mine"]),
    )


def _case_context(request: HttpRequest, case: Case) -> dict:
    context = casepage.common_context(request, case, case_url=reverse("aftersales:case", args=[case.number]))
    return context | {
        "actions": casework.available_actions(case),
        "resolutions": services.available_resolutions(case),
        "refundable_fen": services.refundable_fen(case.order) if case.order else 0,
        "payouts": list(case.payouts.order_by("pk")),
        # A2: the small-defect choice (offer, then the customer's answer); A8: who pays the return shipping.
        "defect_offer": offers.pending_defect_offer(case) if case.is_open else None,
        "can_offer_defect": offers.can_offer_small_defect_choice(case),
        "shipping_payers": ShippingPayer.choices,
        "shipping_payer": case.return_shipping_paid_by or REASON_SHIPPING_PAYER.get(case.reason, ShippingPayer.STORE),
        "reship_couriers": (
            list(Courier.objects.filter(active=True)) if case.resolution == services.Resolution.RESHIPPED else []
        ),
    }


@require_GET
@vary_on_headers("HX-Request")
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_for(request.user, AFTERSALES.desk, number, VIEW)
    template = "aftersales/case.html"
    if request.htmx and request.htmx.target == "case-panel":
        template += "#case-panel"
    return render(request, template, _case_context(request, case))


def _do_action(request: HttpRequest, case: Case, action: str) -> None:
    """Parse the action's form and call its service; a refused rule becomes a message, never a crash."""
    if handle_common_action(request, case, action):
        return
    user = request.user
    post = request.POST
    if action in ("approve_refund", "compensate", "return_received"):
        form = forms.AmountForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        amount, note = form.cleaned_data["amount"], form.cleaned_data["note"]
        if action == "approve_refund":
            services.approve_refund(case=case, actor=user, amount_fen=amount, note=note)
            messages.success(request, _("Refund approved; the customer was told. The apology follows when it arrives."))
        elif action == "compensate":
            services.compensate(case=case, actor=user, amount_fen=amount, note=note)
            messages.success(request, _("Compensation paid."))
        else:
            services.mark_return_received(case=case, actor=user, amount_fen=amount)
            messages.success(request, _("Return received and settled."))
    elif action == "reject":
        form = forms.RejectForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        services.reject_application(case=case, actor=user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Application rejected; the customer was told why."))
    elif action == "approve_return":
        services.approve_return(case=case, actor=user, shipping_paid_by=post.get("shipping_paid_by", ""))
        messages.success(request, _("Return approved; the return address was sent."))
    elif action == "defect_offer":
        offers.offer_small_defect_choice(case=case, actor=user)
        messages.success(request, _("The customer was offered the compensation or a free reship."))
    elif action == "defect_choice":
        offers.record_defect_choice(case=case, actor=user, choice=post.get("choice", ""))
        messages.success(request, _("The customer's choice was recorded and carried out."))
    elif action == "reship_tracking":
        form = forms.ReshipTrackingForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        offers.send_reship_tracking(
            case=case, actor=user, courier=form.cleaned_data["courier"], tracking_no=form.cleaned_data["tracking_no"]
        )
        messages.success(request, _("The tracking number was sent to the customer."))
    elif action in ("reship", "exchange", "close"):
        form = NoteOnlyForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        note = form.cleaned_data["note"]
        if action == "reship":
            services.reship(case=case, actor=user, note=note)
        elif action == "exchange":
            services.arrange_exchange(case=case, actor=user, note=note)
        else:
            services.close_case(case=case, actor=user, note=note)
        messages.success(request, _("Saved."))
    elif action == "payout":
        form = forms.PayoutOutcomeForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        arrived = form.cleaned_data["outcome"] == "arrived"
        services.mark_payout(case=case, payout_id=form.cleaned_data["payout"], succeeded=arrived, actor=user)
        messages.success(request, _("Payout marked as arrived.") if arrived else _("Payout marked as failed."))
    elif action == "review":
        form = forms.ReviewOutcomeForm(post)
        if not form.is_valid():
            return form_errors_to_messages(request, form)
        services.record_review_outcome(case=case, actor=user, revised=form.cleaned_data["revised"])
        messages.success(request, _("Review outcome recorded."))
    else:
        raise Http404


@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    case = get_case_for(request.user, AFTERSALES.desk, number, action)
    try:
        _do_action(request, case, action)
    except DomainError as error:
        messages.error(request, error.message)
    if request.htmx:
        return casepage.refreshed_panel(
            request,
            "aftersales/case.html",
            _case_context(request, get_case_for(request.user, AFTERSALES.desk, number, VIEW)),
        )
    return redirect("aftersales:case", number=number)


def new_case(request: HttpRequest) -> HttpResponse:
    """Open a case by hand from an order lookup."""
    _agent(request)
    lookup = forms.OrderLookupForm(request.GET or None)
    order = lookup.order if lookup.is_bound and lookup.is_valid() else None
    form = None
    if order is not None:
        form = forms.NewCaseForm(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                case = services.open_application(
                    kind=data["kind"],
                    order=order,
                    actor=request.user,
                    reason=data["reason"],
                    amount_fen=data["amount"],
                    small_defect=data["small_defect"],
                    message=data["message"],
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("aftersales:case", number=case.number)
    recent = []
    if order is not None:
        open_desks = desks_open_to(request.user)
        recent = list(Case.objects.filter(order=order, desk__in=open_desks).order_by("-created_at")[:10])
    return render(
        request, "aftersales/new_case.html", {"lookup": lookup, "order": order, "form": form, "order_cases": recent}
    )
