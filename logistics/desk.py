"""The logistics desk, declared: its queues (with each case's parcel), table, filters, the problem and work panels,
a resolve form with an outcome, and its own actions."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.access import LOGISTICS
from backoffice.desk.declaration import DeskDeclaration
from logistics import forms, queries, services, views
from logistics.filters import LogisticsCaseFilter
from logistics.models import OutOfStockOffer
from logistics.tables import LogisticsCaseTable


def results_context(request) -> dict:
    return {"last_sweep": queries.last_sweep()}


def queue_context(request) -> dict:
    return results_context(request) | {"report_form": forms.ReportOutOfStockForm()}


def case_context(request, case) -> dict:
    offers = queries.stock_offers(case)
    now = timezone.localtime()
    return {
        "problems": queries.case_problems(case),
        "contacts": queries.courier_contacts(case),
        "offers": offers,
        "pending_offer": next((o for o in offers if o.choice == OutOfStockOffer.Choice.PENDING), None),
        "wait_coupon_fen": services.wait_coupon_fen(),
        "contact_form": forms.CourierContactForm(),
        "notify_form": forms.NotifyForm(kind=case.kind),
        "tracking_form": forms.TrackingUpdateForm(initial={"at": now.replace(second=0, microsecond=0)}),
        "resolve_form": forms.ResolveForm(),
        "choice_form": forms.OfferChoiceForm(),
    }


DESK = DeskDeclaration(
    access=LOGISTICS,
    namespace="logistics",
    title=_("Logistics"),
    heading=_("Logistics exceptions"),
    table=LogisticsCaseTable,
    filterset=LogisticsCaseFilter,
    empty_take_next=_("No unassigned logistics exception is waiting. Well done!"),
    queue_cases=queries.queue_cases,
    actions={
        action.__name__: action
        for action in (
            views.contact_courier,
            views.notify,
            views.offer,
            views.offer_choice,
            views.tracking,
            views.resolve,
            views.close,
        )
    },
    button_templates={"resolve": "logistics/resolve_button.html"},
    close_case=services.close_case,
    close_unresolved_confirm=_("Close this case without resolving it?"),
    case_context=case_context,
    case_meta="logistics/case_meta.html",
    case_panels=("logistics/case_panels.html",),
    queue_template="logistics/queue.html",
    queue_context=queue_context,
    results_count="logistics/results_count.html",
    results_context=results_context,
    stylesheets=("css/logistics-case.css",),
)
