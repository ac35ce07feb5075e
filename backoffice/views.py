from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect

from .models import Case
from .queues import case_page_url
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
