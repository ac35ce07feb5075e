"""The open case page, live: new timeline entries and who else is on the case, polled every 1.5 s.

Conditional polling, not a push stream: each poll costs one indexed query (the case's newest event) and one cache
read; when nothing changed since the page's last answer the server says 304 and renders nothing. It needs no
long-lived connections, no ASGI server and no Redis (the demo runs on SQLite and a local cache), and a dropped
connection or a restarted server is simply the next poll. README "Live pages" has the measured cost.
"""

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from backoffice.cases import presence, queues
from backoffice.cases.access import VIEW, find_case_for
from backoffice.models import CaseEvent
from backoffice.staff.roles import staff_display_name


def _last_event_id(case) -> int:
    return CaseEvent.objects.filter(case=case).order_by("-id").values_list("id", flat=True).first() or 0


@require_GET
def case_live(request: HttpRequest, number: str) -> HttpResponse:
    """?after=<the newest event id the page shows>&typing=1 while the agent types a reply."""
    case = find_case_for(request.user, number, VIEW)
    presence.touch(case.pk, request.user, typing=request.GET.get("typing") == "1")
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    last = _last_event_id(case)
    others = presence.others(case.pk, request.user)
    signature = hashlib.sha256(json.dumps([after, last, others], ensure_ascii=False).encode()).hexdigest()[:16]
    etag = f'"{signature}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        new = []
        if last > after:
            new = queues.one_entry_per_message(
                list(CaseEvent.objects.filter(case=case, id__gt=after).select_related("actor").order_by("at", "id"))
            )
        names = {event.actor.get_username(): staff_display_name(event.actor) for event in new if event.actor_id}
        response = JsonResponse(
            {
                "last": last,
                "events": "".join(
                    render_to_string("cases/event.html", {"event": event, "case": case, "staff_names": names}, request)
                    for event in new
                ),
                "customer_wrote": any(event.type == "message.customer" for event in new),
                "presence": render_to_string("cases/presence.html", {"others": others}, request),
            }
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
