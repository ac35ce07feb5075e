"""The after-sales desk's own pages and case actions; its queues and case page are the shared desk's
(`backoffice.desk`, declared in `aftersales.desk`).

Each action parses its form and calls one service (A2–A10); the shared case-action view fetched the case for the
desk, the role and the action first.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from aftersales import forms, offers, services
from backoffice.cases.access import AFTERSALES, WORK, desks_open_to, get_case_for, require_desk
from backoffice.cases.actions import form_errors
from backoffice.cases.forms import NoteOnlyForm
from backoffice.desk.actions import NoForm, form_action
from backoffice.errors import DomainError
from backoffice.models import Case

# The money actions whose confirmation the server checks first: the action's own check (the same the action runs).
PAYOUT_CHECKS = {
    "approve_refund": services.check_refund,
    "compensate": services.check_compensation,
    "return_received": services.check_return_refund,
}


@require_GET
def check_payout(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """The confirmation dialog of a refund or compensation: the server checks the typed amount the way the action
    will (open case, more than ¥0.00, no more than the order still allows) and answers with the question naming the
    checked amount and the button that pays it, or with the refusal. Nothing is paid here."""
    if action not in PAYOUT_CHECKS:
        raise Http404
    case = get_case_for(request.user, AFTERSALES.desk, number, action)
    form = forms.AmountForm(request.GET)
    context: dict = {"case": case, "action": action, "amount_typed": request.GET.get("amount", "")}
    if not form.is_valid():
        context["refusal"] = " ".join(form_errors(form))
    else:
        try:
            # The check reads what the order still allows the way the payout does: with the order's row locked.
            with transaction.atomic():
                context["amount_fen"] = PAYOUT_CHECKS[action](case=case, amount_fen=form.cleaned_data["amount"])
        except DomainError as error:
            context["refusal"] = error.message
        context["note"] = form.cleaned_data["note"]
    return render(request, "aftersales/payout_confirm.html", context)


@form_action(
    forms.AmountForm, gettext_lazy("Refund approved; the customer was told. The apology follows when it arrives.")
)
def approve_refund(request, case, data):
    services.approve_refund(case=case, actor=request.user, amount_fen=data["amount"], note=data["note"])


@form_action(forms.AmountForm, gettext_lazy("Compensation paid."))
def compensate(request, case, data):
    services.compensate(case=case, actor=request.user, amount_fen=data["amount"], note=data["note"])


@form_action(forms.AmountForm, gettext_lazy("Return received and settled."))
def return_received(request, case, data):
    services.mark_return_received(case=case, actor=request.user, amount_fen=data["amount"])


@form_action(forms.RejectForm, gettext_lazy("Application rejected; the customer was told why."))
def reject(request, case, data):
    services.reject_application(case=case, actor=request.user, reason=data["reason"])


@form_action(NoForm, gettext_lazy("Return approved; the return address was sent."))
def approve_return(request, case, data):
    payer = request.POST.get("shipping_paid_by", "")
    services.approve_return(case=case, actor=request.user, shipping_paid_by=payer)


@form_action(NoForm, gettext_lazy("The customer was offered the compensation or a free reship."))
def defect_offer(request, case, data):
    offers.offer_small_defect_choice(case=case, actor=request.user)


@form_action(NoForm, gettext_lazy("The customer's choice was recorded and carried out."))
def defect_choice(request, case, data):
    offers.record_defect_choice(case=case, actor=request.user, choice=request.POST.get("choice", ""))


@form_action(forms.ReshipTrackingForm, gettext_lazy("The tracking number was sent to the customer."))
def reship_tracking(request, case, data):
    courier, number = data["courier"], data["tracking_no"]
    offers.send_reship_tracking(case=case, actor=request.user, courier=courier, tracking_no=number)


@form_action(NoteOnlyForm, gettext_lazy("Saved."))
def reship(request, case, data):
    services.reship(case=case, actor=request.user, note=data["note"])


@form_action(NoteOnlyForm, gettext_lazy("Saved."))
def exchange(request, case, data):
    services.arrange_exchange(case=case, actor=request.user, note=data["note"])


@form_action(NoteOnlyForm, gettext_lazy("Saved."))
def close(request, case, data):
    services.close_case(case=case, actor=request.user, note=data["note"])


@form_action(forms.PayoutOutcomeForm, "")
def payout(request, case, data):
    arrived = data["outcome"] == "arrived"
    services.mark_payout(case=case, payout_id=data["payout"], succeeded=arrived, actor=request.user)
    return _("Payout marked as arrived.") if arrived else _("Payout marked as failed.")


@form_action(forms.ReviewOutcomeForm, gettext_lazy("Review outcome recorded."))
def review(request, case, data):
    services.record_review_outcome(case=case, actor=request.user, revised=data["revised"])


def new_case(request: HttpRequest) -> HttpResponse:
    """Open a case by hand from an order lookup."""
    require_desk(request.user, AFTERSALES.desk, WORK)
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
