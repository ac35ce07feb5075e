"""Staff notices: opening one marks it read (recorded on its case) and goes to the case."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from backoffice.cases.queues import case_page_url
from backoffice.models import Notification
from backoffice.staff import notifications
from backoffice.staff.roles import Role, require_role


@require_POST
def read_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the recipient can read their notice; anyone else gets a 404, as for a notice that does not exist."""
    require_role(request.user, Role.AGENT)
    notification = Notification.objects.select_related("case").filter(pk=pk, recipient=request.user).first()
    if notification is None:
        raise Http404
    notifications.mark_read(notification=notification, user=request.user)
    if notification.case is not None:
        return redirect(case_page_url(notification.case))
    return redirect("home")
