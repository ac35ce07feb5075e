"""What happens after a case closes or reopens, for every desk: the steps are called here, in order, explicitly.

Each step runs inside the closing transaction and must only write rows (timed work is a row with a due time);
anything that talks to the outside world is queued with transaction.on_commit.
"""

from backoffice.models import Case

# Dotted paths of functions taking (case=..., actor=...). Desks and shared features add theirs here.
AFTER_CLOSE: list[str] = ["backoffice.followups.services.after_case_closed", "surveys.services.after_case_closed"]
AFTER_REOPEN: list[str] = ["backoffice.followups.services.after_case_reopened"]
AFTER_RESOLVE: list[str] = ["backoffice.followups.services.after_case_resolved"]


def _run(paths: list[str], *, case: Case, actor) -> None:
    from django.utils.module_loading import import_string

    for path in paths:
        import_string(path)(case=case, actor=actor)


def after_close(*, case: Case, actor) -> None:
    _run(AFTER_CLOSE, case=case, actor=actor)


def after_reopen(*, case: Case, actor) -> None:
    _run(AFTER_REOPEN, case=case, actor=actor)


def after_resolve(*, case: Case, actor) -> None:
    _run(AFTER_RESOLVE, case=case, actor=actor)
