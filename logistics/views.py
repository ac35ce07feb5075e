"""The logistics desk's own pages and case actions; its queues and case page are the shared desk's
(`backoffice.desk`, declared in `logistics.desk`).

Each action parses its form and calls one service (L2–L6); the shared case-action view fetched the case for the desk,
the role and the action first.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from backoffice.cases import queues
from backoffice.cases.access import LOGISTICS, SUPERVISE, WORK, require_desk
from backoffice.cases.actions import form_errors_to_messages
from backoffice.cases.forms import NoteOnlyForm
from backoffice.desk.actions import NoForm, form_action
from backoffice.errors import DomainError
from logistics import detection, forms, services
from logistics.models import OutOfStockOffer


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
    require_desk(request.user, LOGISTICS.desk, WORK)
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


@form_action(forms.CourierContactForm, gettext_lazy("Courier contact recorded."), keep_as="contact_form")
def contact_courier(request, case, data):
    """L5: a call to the courier about a stalled parcel, and when to check again."""
    services.contact_courier(case=case, actor=request.user, **data)


@form_action(
    forms.NotifyForm,
    gettext_lazy("The customer was told."),
    form_kwargs=lambda case: {"kind": case.kind},
    keep_as="notify_form",
)
def notify(request, case, data):
    services.notify_customer(case=case, actor=request.user, template_key=data["template"])


@form_action(NoForm, gettext_lazy("Offer sent: wait with a coupon, or a refund."))
def offer(request, case, data):
    services.offer_out_of_stock_choice(case=case, actor=request.user)


@form_action(forms.OfferChoiceForm, "")
def offer_choice(request, case, data):
    chosen = services.record_offer_choice(case=case, actor=request.user, choice=data["choice"])
    if chosen.choice == OutOfStockOffer.Choice.REFUND:
        return _("Refund approved; the case is resolved.")
    return _("The customer waits; the coupon goes out with the follow-ups.")


@form_action(forms.TrackingUpdateForm, gettext_lazy("Tracking updated."), keep_as="tracking_form")
def tracking(request, case, data):
    """L4: a tracking event typed in from the courier's site."""
    services.record_tracking_update(case=case, actor=request.user, **data)


@form_action(forms.ResolveForm, gettext_lazy("Resolved."))
def resolve(request, case, data):
    services.resolve_case(case=case, actor=request.user, outcome=data["outcome"], note=data["note"])


@form_action(NoteOnlyForm, gettext_lazy("Closed."))
def close(request, case, data):
    services.close_case(case=case, actor=request.user, note=data["note"])
