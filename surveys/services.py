"""Survey and call-back rules (A12, A13): every write of the surveys app goes through a function here.

- after_case_closed: the closing hook (backoffice.cases.closure.AFTER_CLOSE) that sends the survey, or waits for the
  follow-up message to carry it, as the store chose.
- followup_survey_url: what the follow-up message puts in its {survey_url} when it carries the survey.
- answer_survey: one answer per case; a dissatisfied one opens a call-back (A13).
- log_call: a supervisor's call to an unhappy customer, with what was found and done.
"""

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from backoffice.cases import handoff
from backoffice.cases import services as casework
from backoffice.cases.models import Resolution
from backoffice.errors import DomainError
from backoffice.messaging import outbox
from backoffice.models import (
    Case,
    CaseKind,
    Desk,
    EventType,
    Priority,
    Status,
    StoreSettings,
)
from backoffice.store.businesshours import Calendar
from backoffice.store.money import format_fen
from surveys.models import CallAttempt, CallBack, Survey, SurveyAnswerReason, SurveyReason, SurveySettings, hash_token

logger = logging.getLogger(__name__)

INVITE_TEMPLATE = "survey_invite"
CALLBACK_SOURCE = "survey"
COMMENT_MAX = 1000
# A token is 24 random bytes (192 bits): guessing one is hopeless, and the rate limit stops trying.
TOKEN_BYTES = 24


class SurveyUnavailable(DomainError):
    """The link cannot take an answer (already answered, expired, not sent)."""


class AlreadyAnswered(SurveyUnavailable):
    pass


class SurveyExpired(SurveyUnavailable):
    pass


# --- sending --------------------------------------------------------------------------------------------------


def survey_url(token: str) -> str:
    # Links in messages must work from the customer's phone, so they are absolute (settings.PUBLIC_BASE_URL).
    return settings.PUBLIC_BASE_URL + reverse("survey_public:answer", args=[token])


def after_case_closed(*, case: Case, actor) -> None:
    """A12: a closed case gets one survey, on its own now or inside its follow-up message (store's choice).

    Call-back cases are not surveyed, nor a logistics problem that cleared by itself (the customer never heard
    of it). Reopening and closing again sends nothing new: one survey per case.
    """
    if case.desk == Desk.CALLBACK or case.customer_id is None or case.resolution == "cleared":
        return
    survey_settings = SurveySettings.load()
    if not survey_settings.enabled or Survey.objects.filter(case=case).exists():
        return
    if outbox.active_template(INVITE_TEMPLATE) is None:
        logger.info("survey for %s not created: the %s template is switched off", case.number, INVITE_TEMPLATE)
        return
    now = timezone.now()
    delivery = survey_settings.delivery
    send_after = (
        now
        if delivery == SurveySettings.Delivery.ALONE
        else now + dt.timedelta(hours=survey_settings.followup_wait_hours)
    )
    try:
        with transaction.atomic():
            survey = Survey.objects.create(case=case, delivery=delivery, created_at=now, send_after=send_after)
    except IntegrityError:
        return  # closed twice at once: the other close made the survey
    if delivery == SurveySettings.Delivery.ALONE:
        send_survey(survey=survey, survey_settings=survey_settings)


def _issue_token(*, survey: Survey, via: str, survey_settings: SurveySettings) -> str | None:
    """Give the survey its link once: the token goes to the customer, only its hash stays here.

    None when the survey was already sent (a conditional update: two senders never both issue a link).
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    expires = now + dt.timedelta(days=survey_settings.valid_days)
    issued = Survey.objects.filter(pk=survey.pk, sent_at__isnull=True).update(
        token_hash=hash_token(token), sent_at=now, sent_via=via, expires_at=expires
    )
    if not issued:
        return None
    survey.token_hash, survey.sent_at, survey.sent_via, survey.expires_at = hash_token(token), now, via, expires
    return token


def send_survey(*, survey: Survey, survey_settings: SurveySettings | None = None) -> bool:
    """Send the survey link on its own (template "survey_invite"); False when it had been sent already."""
    survey_settings = survey_settings or SurveySettings.load()
    with transaction.atomic():
        token = _issue_token(survey=survey, via=SurveySettings.Delivery.ALONE, survey_settings=survey_settings)
        if token is None:
            return False
        outbox.send_template(
            key=INVITE_TEMPLATE,
            case=survey.case,
            extra={"survey_url": survey_url(token)},
            idempotency_key=f"survey:{survey.case_id}",
        )
    return True


def followup_survey_url(*, case: Case) -> str:
    """The survey link the follow-up message carries as {survey_url} when the store sends surveys that way.

    Returns "" when this case's survey goes on its own, was sent already, or there is none; the follow-up then
    simply has no link. Call it once, inside the transaction that queues the follow-up message.
    """
    survey = Survey.objects.filter(case=case, sent_at__isnull=True).select_related("case").first()
    if survey is None or survey.delivery != SurveySettings.Delivery.IN_FOLLOWUP:
        return ""
    token = _issue_token(survey=survey, via=SurveySettings.Delivery.IN_FOLLOWUP, survey_settings=SurveySettings.load())
    return survey_url(token) if token else ""


def due_surveys(limit: int = 200) -> list[int]:
    """Surveys that waited for a follow-up message in vain: the sweep sends them on their own."""
    return list(
        Survey.objects.filter(sent_at__isnull=True, send_after__lte=timezone.now())
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )


def send_due_surveys() -> int:
    sent = 0
    survey_settings = SurveySettings.load()
    for pk in due_surveys():
        survey = Survey.objects.select_related("case").get(pk=pk)
        sent += send_survey(survey=survey, survey_settings=survey_settings)
    return sent


# --- answering ------------------------------------------------------------------------------------------------


def find_survey(token: str) -> Survey | None:
    """The survey a link's token opens, or None for a forged or mistyped one.

    The lookup is by the token's SHA-256, so neither the stored value nor the query's timing tells anything
    about the token itself.
    """
    if not token or len(token) > 100:
        return None
    return Survey.objects.select_related("case").filter(token_hash=hash_token(token)).first()


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday (store's time zone) of the week a moment falls in: how results group answers by week."""
    day = timezone.localdate(moment)
    return day - dt.timedelta(days=day.weekday())


def answer_body(survey: Survey, reasons: list[SurveyReason]) -> str:
    """How the answer reads on the case timeline (customer's words included, escaped where shown)."""
    with translation.override("zh-hans"):
        parts = [_("Survey answer: %(answer)s") % {"answer": Survey.Answer(survey.answer).label}]
        if reasons:
            parts.append(_("Reasons: %(reasons)s") % {"reasons": "、".join(r.label for r in reasons)})
        if survey.comment:
            parts.append(_("Comment: %(comment)s") % {"comment": survey.comment})
    return "；".join(parts)


def answer_survey(
    *,
    survey: Survey,
    answer: str,
    reasons: list[SurveyReason] | None = None,
    comment: str = "",
    at: dt.datetime | None = None,
) -> Survey:
    """A12: record the customer's one answer, put it on the case timeline; A13: a dissatisfied one opens a call-back.

    The answer keeps the case's agent and kind as they were then, for the results.

    A second answer, or one after the link expired, changes nothing and raises SurveyUnavailable.
    """
    if answer not in Survey.Answer.values:
        raise DomainError(_("Choose one of the answers."))
    reasons = [reason for reason in (reasons or []) if reason.active]
    comment = comment.strip()[:COMMENT_MAX]
    at = at or timezone.now()
    with transaction.atomic():
        # The conditional update is the guard: of two submits at once, exactly one finds the row unanswered.
        case = survey.case
        changes = {
            "answer": answer,
            "comment": comment,
            "answered_at": at,
            "answered_week": week_of(at),
            "agent_id": case.assignee_id,
            "case_kind": case.kind,
        }
        updated = Survey.objects.filter(
            pk=survey.pk, sent_at__isnull=False, answered_at__isnull=True, expires_at__gt=at
        ).update(**changes)
        if not updated:
            survey.refresh_from_db()
            if survey.is_answered:
                raise AlreadyAnswered(_("This survey has already been answered. Thank you!"))
            raise SurveyExpired(_("This survey link has expired."))
        for field, value in changes.items():
            setattr(survey, field, value)
        SurveyAnswerReason.objects.bulk_create(SurveyAnswerReason(survey=survey, reason=reason) for reason in reasons)
        casework.record_event(
            case=survey.case,
            type=EventType.SURVEY_ANSWERED,
            actor=None,
            at=at,
            body=answer_body(survey, reasons),
            target=f"survey:{survey.pk}",
            after={"survey": {"answer": answer, "reasons": [reason.code for reason in reasons]}},
        )
        if answer == Survey.Answer.DISSATISFIED:
            open_callback(survey=survey, reasons=reasons, at=at)
    return survey


def open_callback(*, survey: Survey, reasons: list[SurveyReason] | None = None, at: dt.datetime | None = None):
    """A13: open the call-back case in the supervisors' queue, exactly once per survey answer.

    Its SLA is the store's call-back time in business hours. The original case's timeline links to it.
    """
    existing = CallBack.objects.filter(survey=survey).select_related("case").first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    store = StoreSettings.load()
    survey_settings = SurveySettings.load()
    original = survey.case
    due = Calendar.for_store(store).add_business_time(at, dt.timedelta(hours=survey_settings.callback_hours))
    labels = "、".join(reason.label for reason in reasons or [])
    with translation.override("zh-hans"):
        subject = _("Dissatisfied with %(case)s") % {"case": original.number} + (f"：{labels}" if labels else "")
    try:
        with transaction.atomic():
            case = casework.open_case(
                desk=Desk.CALLBACK,
                kind=CaseKind.CALLBACK,
                customer=original.customer,
                order=original.order,
                subject=subject,
                priority=Priority.HIGH,
                source=CALLBACK_SOURCE,
                external_id=f"survey:{survey.pk}",
                resolve_due=due,
                opened_at=at,
                store=store,
            )
            callback = CallBack.objects.create(survey=survey, case=case, created_at=at)
    except IntegrityError:
        # Someone opened it between the check and here: theirs stands.
        return CallBack.objects.select_related("case").get(survey=survey)
    casework.record_event(
        case=original,
        type=EventType.CALLBACK_OPENED,
        at=at,
        body=_("Call-back %(number)s opened for the dissatisfied answer.") % {"number": case.number},
        target=case.number,
        after={"callback": case.number},
    )
    return callback


# --- calling back ---------------------------------------------------------------------------------------------


def _issue_coupon_by_hand(*, case: Case, value_fen: int, actor, note: str) -> str:
    """Another coupon through the follow-up module when it offers one; otherwise the promise is recorded only."""
    try:
        issue = import_string("backoffice.followups.services.issue_manual_coupon")
    except ImportError:
        return ""
    coupon = issue(case=case, value_fen=value_fen, actor=actor, reason=note)
    return getattr(coupon, "code", "") or ""


def log_call(
    *,
    callback: CallBack,
    actor,
    reached: bool,
    retry_at: dt.datetime | None = None,
    category: SurveyReason | None = None,
    notes: str = "",
    coupon_fen: int = 0,
    new_case_kind: str = "",
    new_case_reason: str = "",
    close: bool = False,
) -> CallAttempt:
    """A13: record one call to the unhappy customer.

    An unassigned call-back becomes the caller's. Not reached: it stays open and comes due again at retry_at
    (by default the survey settings' retry time, in business hours).
    Reached: what they were unhappy about is required; the supervisor may give another coupon, open a new
    after-sales case, and close the call-back. Every call is on the call-back's timeline.
    """
    case = callback.case
    if not case.is_open:
        raise DomainError(_("This call-back is closed. Reopen it to log another call."))
    now = timezone.now()
    notes = notes.strip()
    if reached:
        if category is None:
            raise DomainError(_("Say what the customer was unhappy about."))
        retry_at = None
    else:
        if coupon_fen or new_case_kind or close:
            raise DomainError(_("Coupons, new cases and closing need the customer on the phone."))
        if retry_at is None:
            store = StoreSettings.load()
            wait = dt.timedelta(hours=SurveySettings.load().callback_retry_hours)
            retry_at = Calendar.for_store(store).add_business_time(now, wait)
        elif retry_at <= now:
            raise DomainError(_("The time to try again must be in the future."))
    if coupon_fen < 0:
        raise DomainError(_("The amount cannot be negative."))
    if new_case_kind and case.order is None:
        raise DomainError(_("This customer has no order to open an after-sales case on."))
    with transaction.atomic():
        # Whoever calls an unassigned call-back takes it: the queue then shows who is on it.
        if case.assignee_id is None:
            casework.claim_case(case=case, agent=actor)
        elif case.status == Status.NEW:
            casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=actor)
        now = timezone.now()
        attempt = CallAttempt.objects.create(
            callback=callback,
            actor=actor,
            at=now,
            reached=reached,
            retry_at=retry_at,
            category=category,
            notes=notes,
            coupon_fen=coupon_fen,
        )
        CallBack.objects.filter(pk=callback.pk).update(reached=reached, category=category or callback.category)
        callback.reached, callback.category = reached, category or callback.category
        details: dict = {"reached": reached}
        if reached:
            details["category"] = category.code
            summary = _("Called: reached. Unhappy about: %(category)s.") % {"category": category.label}
        else:
            details["retry_at"] = retry_at.isoformat()
            summary = _("Called: not reached. Try again at %(when)s.") % {
                "when": timezone.localtime(retry_at).strftime("%Y-%m-%d %H:%M")
            }
            # The call-back comes due again when it is time to try again.
            Case.objects.filter(pk=case.pk).update(resolve_due=retry_at, due_at=retry_at, updated_at=now)
            case.resolve_due = case.due_at = retry_at
        if notes:
            summary += " " + notes
        casework.record_event(
            case=case,
            type=EventType.CALL_LOGGED,
            actor=actor,
            at=now,
            body=summary,
            target=f"call:{attempt.pk}",
            after={"call": details},
        )
        if coupon_fen:
            code = _issue_coupon_by_hand(case=case, value_fen=coupon_fen, actor=actor, note=notes)
            CallAttempt.objects.filter(pk=attempt.pk).update(coupon_ref=code)
            attempt.coupon_ref = code
            casework.record_event(
                case=case,
                type=EventType.CASE_UPDATED,
                actor=actor,
                at=now,
                body=(
                    _("Coupon %(amount)s issued (%(code)s).") % {"amount": format_fen(coupon_fen), "code": code}
                    if code
                    else _("Coupon %(amount)s promised on the phone: issue it by hand.")
                    % {"amount": format_fen(coupon_fen)}
                ),
                target=f"call:{attempt.pk}",
                after={"coupon_fen": coupon_fen, "coupon": code},
            )
        if new_case_kind:
            new_case = handoff.open_case_on(
                Desk.AFTERSALES,
                kind=new_case_kind,
                order=case.order,
                customer=case.customer,
                actor=actor,
                reason=new_case_reason,
                subject=_("From call-back %(number)s") % {"number": case.number},
                source="callback",
            )
            if notes:
                # The supervisor's notes, not the customer's words: an internal note, so no reply clock starts.
                casework.add_note(case=new_case, body=notes, actor=actor)
            CallAttempt.objects.filter(pk=attempt.pk).update(aftersales_case=new_case)
            attempt.aftersales_case = new_case
            casework.record_event(
                case=case,
                type=EventType.CASE_UPDATED,
                actor=actor,
                at=now,
                body=_("After-sales case %(number)s opened.") % {"number": new_case.number},
                target=new_case.number,
                after={"aftersales_case": new_case.number},
            )
        if close:
            casework.transition_case(
                case=case,
                to=Status.CLOSED,
                actor=actor,
                note=_("Call-back done."),
                extra={"resolution": Resolution.CALLED_BACK},
            )
    return attempt
