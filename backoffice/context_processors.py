"""Template context every page gets."""

from django.utils.functional import SimpleLazyObject

from backoffice.staff.roles import is_supervisor


def timed_work(request) -> dict:
    """Supervisors (and store admins) see a banner when a periodic sweep is late; read only if the page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not is_supervisor(user):
        return {}

    def late():
        from backoffice.sweeps import late_sweeps

        return late_sweeps()

    return {"late_sweeps": SimpleLazyObject(late)}
