"""The supervisor desk: the team's workload, bulk assignment, the audit log and the weekly review reports.

Thin views: check the role (supervisors and store admins; agents get 403), parse a form, call a service or a
report function, render.
"""

import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from backoffice.cases import services as casework
from backoffice.cases.actions import form_errors_to_messages
from backoffice.errors import DomainError
from backoffice.models import Reason
from backoffice.staff.roles import Role, require_role
from backoffice.supervisor import audit, csvexport, reports
from backoffice.supervisor.charts import columns, hbars, stacked
from backoffice.supervisor.forms import AuditFilter, BulkAssignForm, PeriodForm, period_presets
from backoffice.supervisor.tables import AuditTable
from backoffice.templatetags.backoffice import staff_name

AUDIT_PER_PAGE = 50
# R1, L1 and A7 rates a store aims for; drawn as a dashed line on the charts. *(assumed)*
TARGET_RATE = 95


def _supervisor(request: HttpRequest) -> None:
    require_role(request.user, Role.SUPERVISOR)


# --- workload and assignment ------------------------------------------------------------------------------------


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The team now: open, due-soon and overdue cases per person across the desks, and today's replies."""
    _supervisor(request)
    load = reports.workload()
    return render(request, "supervisor/workload.html", {"workload": load, "section": "workload"})


@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Selected queue rows go to one agent (or back to the queue); each case records its own assignment event."""
    _supervisor(request)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("aftersales:queue", args=["all"])
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    try:
        changed = casework.assign_cases(cases=form.cleaned_data["cases"], assignee=assignee, actor=request.user)
    except DomainError as refused:  # all or nothing: no case changed
        messages.error(request, str(refused))
        return redirect(back)
    if assignee is None:
        text = _("%(count)s case(s) went back to the queue.") % {"count": len(changed)}
    else:
        text = _("%(count)s case(s) assigned to %(name)s.") % {"count": len(changed), "name": staff_name(assignee)}
    messages.success(request, text)
    response = redirect(back)
    response["HX-Trigger"] = "casesChanged"
    return response


# --- audit log --------------------------------------------------------------------------------------------------


def _audit_filter(request: HttpRequest) -> AuditFilter:
    return AuditFilter(request.GET or None, queryset=audit.audit_events())


@require_GET
@vary_on_headers("HX-Request")
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every case event and settings change, filtered by person, action, case and Shanghai dates; paginated."""
    _supervisor(request)
    audit_filter = _audit_filter(request)
    table = AuditTable(audit_filter.qs)
    RequestConfig(request, paginate={"per_page": AUDIT_PER_PAGE}).configure(table)
    export = reverse("supervisor:audit_csv")
    if request.GET:
        export += "?" + request.GET.urlencode()
    context = {"filter": audit_filter, "table": table, "export_url": export, "section": "audit"}
    template = "supervisor/audit.html"
    if request.htmx and request.htmx.target == "audit-results":
        template += "#audit-results"
    return render(request, template, context)


@require_GET
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The same filtered log as CSV, streamed row by row."""
    _supervisor(request)
    audit_filter = _audit_filter(request)
    qs = audit_filter.qs if audit_filter.is_bound else audit.audit_events()
    response = StreamingHttpResponse(audit.csv_lines(qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


# --- reports ----------------------------------------------------------------------------------------------------


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _report_context(period: reports.Period) -> dict:
    reasons = reports.reason_shares(period)
    products = reports.reasons_by_product(period, limit=15)
    couriers = reports.reasons_by_courier(period)
    response = reports.response_rates(period)
    shipping = reports.shipped_on_time(period)
    refunds = reports.refund_handling(period)
    returns = reports.return_review(period)
    reviews = reports.reviews_revised(period)
    csat = reports.csat(period)
    coupons = reports.followup_coupons(period)

    reason_series = [label for _key, label in reasons_order(products, couriers)]
    reason_keys = [key for key, _label in reasons_order(products, couriers)]
    return {
        "period": period,
        "previous": period.previous(),
        "reasons": reasons,
        "reasons_chart": hbars([(r.label, r.share, r.previous_share) for r in reasons.rows]),
        "products": products,
        "products_chart": stacked([(r.label, r.cells(reason_keys)) for r in products.rows[:10]], reason_series),
        "couriers": couriers,
        "couriers_chart": stacked([(r.label, r.cells(reason_keys)) for r in couriers.rows[:10]], reason_series),
        "reason_keys": reason_keys,
        "reason_series": reason_series,
        "response": response,
        "first_handling": reports.first_handling(period),
        "response_chart": columns(
            [(b.label, c.rate) for b, c in zip(response.buckets, response.store.cells, strict=True)],
            scale=100,
            target=TARGET_RATE,
        ),
        "shipping": shipping,
        "shipping_chart": columns([(d.bucket.label, d.rate) for d in shipping.days], scale=100, target=TARGET_RATE),
        "refunds": refunds,
        "refunds_chart": columns(
            [(d.bucket.label, d.summary.within_rate) for d in refunds.days], scale=100, target=TARGET_RATE
        ),
        "returns": returns,
        "returns_chart": columns(
            [(d.bucket.label, d.summary.within_rate) for d in returns.days], scale=100, target=TARGET_RATE
        ),
        "reviews": reviews,
        "review_rows": [(_("This period"), reviews.total), (_("Period before"), reviews.previous)],
        "csat": csat,
        "csat_chart": stacked(
            [(c.label, [c.satisfied, c.neutral, c.dissatisfied]) for c in [csat.total, *csat.agents[:9]]],
            [_("Satisfied"), _("Neutral"), _("Dissatisfied")],
        ),
        "coupons": coupons,
        "coupons_chart": hbars(
            [(c.label, c.used_rate, None) for c in coupons.campaigns] if coupons.campaigns else [], scale=100
        ),
    }


def reasons_order(*breakdowns: reports.ReasonBreakdown) -> list[tuple[str, str]]:
    """The reason columns the product and courier tables share: the enum's order, then any other key seen."""
    seen = {key for breakdown in breakdowns for key in breakdown.reasons}
    keys = [r.value for r in Reason if r.value in seen] + sorted(k for k in seen if k not in Reason.values)
    return [(key, reports.reason_label(key)) for key in keys]


@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """A11 and the rule rates for a date range (default: last week, Monday to Sunday) against the range before."""
    _supervisor(request)
    form = PeriodForm(request.GET or None)
    period = form.period()
    if form.is_bound and not form.is_valid():
        form_errors_to_messages(request, form)
    context = _report_context(period)
    context.update(
        {
            "form": form,
            "presets": period_presets(),
            "query": f"date_from={period.first.isoformat()}&date_to={period.last.isoformat()}",
            "report_names": reports.REPORTS,
            "section": "reports",
        }
    )
    return render(request, "supervisor/reports.html", context)


@require_GET
def report_csv(request: HttpRequest, report: str) -> HttpResponse:
    """One report of the page as CSV, for the same date range."""
    _supervisor(request)
    if report not in reports.REPORTS:
        raise Http404
    form = PeriodForm(request.GET or None)
    period = form.period()
    _label, build = reports.REPORTS[report]
    header, rows = build(period).csv()
    return csv_response(header, rows, name=f"{report}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv")


def csv_response(header: list[str], rows: list[list], *, name: str) -> HttpResponse:
    """A report table as a CSV download that Excel opens as UTF-8, with formula-like text cells made inert."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel opens the Chinese text as UTF-8
    writer = csvexport.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
