import logging

from django.contrib import messages
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backoffice.cases import services as casework
from backoffice.cases.access import find_case_for
from backoffice.cases.queues import case_page_url, search_phrases
from backoffice.messaging.phrases import prepare as prepare_phrases
from backoffice.staff.roles import Role, is_agent, is_store_admin, require_role
from backoffice.sweeps import sweep_statuses

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the desk they work at."""
    if is_agent(request.user):
        return redirect("aftersales:queue", queue="mine")
    if is_store_admin(request.user):
        return redirect("admin:index")
    return redirect("aftersales:queue", queue="mine")


def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and monitoring: the database answers and every periodic sweep ran recently.

    503 when the database is down or a sweep missed a few of its runs (a dead beat or dead workers).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        statuses = sweep_statuses()
    except DatabaseError:
        logger.exception("healthz: the database does not answer")
        return JsonResponse({"ok": False, "database": False}, status=503)
    late = [status.name for status in statuses if status.late]
    body = {
        "ok": not late,
        "database": True,
        "late": late,
        "sweeps": {status.name: status.as_json() for status in statuses},
    }
    return JsonResponse(body, status=503 if late else 200)


@require_GET
def case_by_number(request: HttpRequest, number: str) -> HttpResponse:
    """A case by its number, on its own desk's page; only among the desks the person may open (404 otherwise)."""
    return redirect(case_page_url(find_case_for(request.user, number)))


@require_GET
def case_phrases(request: HttpRequest, number: str) -> HttpResponse:
    """R3: quick phrases for any desk's reply box, searchable, with the case's variables filled in.

    The phrases carry the customer's data, so they answer only for a case the person may reply on.
    """
    case = find_case_for(request.user, number, "reply")
    phrases = search_phrases(request.GET.get("q", ""))
    return render(request, "cases/phrases.html", {"phrases": prepare_phrases(phrases, case), "case": case})


@require_POST
def toggle_duty(request: HttpRequest) -> HttpResponse:
    """An agent starts or ends their shift (automatic assignment only serves people on duty)."""
    require_role(request.user, Role.AGENT)
    on_duty = request.POST.get("on_duty") == "1"
    casework.set_on_duty(user=request.user, on_duty=on_duty)
    messages.success(request, _("You are on duty.") if on_duty else _("You are off duty."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("home")
    return redirect(target)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form (expired page, blocked cookies) gets a page people understand, customers on the survey too."""
    return render(request, "csrf_failure.html", status=403)
