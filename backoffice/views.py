from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from .roles import is_agent, is_store_admin


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
