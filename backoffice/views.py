from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from .models import Case
from .outbox import case_variables, render_text
from .queues import case_page_url, search_phrases
from .roles import Role, is_agent, is_store_admin, require_role


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the desk they work at."""
    if is_agent(request.user):
        return redirect("aftersales:queue", queue="mine")
    if is_store_admin(request.user):
        return redirect("admin:index")
    return redirect("aftersales:queue", queue="mine")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def case_by_number(request: HttpRequest, number: str) -> HttpResponse:
    """Any case by its number, on its own desk's page."""
    require_role(request.user, Role.AGENT)
    return redirect(case_page_url(get_object_or_404(Case, number=number)))


def case_phrases(request: HttpRequest, number: str) -> HttpResponse:
    """R3: quick phrases for any desk's reply box, searchable, with the case's variables filled in."""
    require_role(request.user, Role.AGENT)
    case = get_object_or_404(Case.objects.select_related("customer", "order"), number=number)
    phrases = search_phrases(request.GET.get("q", ""))
    variables = case_variables(case)
    rendered = [(phrase, render_text(phrase.body, variables)) for phrase in phrases]
    return render(request, "cases/phrases.html", {"phrases": rendered, "case": case})
