"""After-sales applications in from PDD: each row opens or updates an after-sales case through the desk's services.

A new application goes through `aftersales.services.open_application`, so the automation rules (A5) apply to it as
to any case, and its application time starts the A7 deadline. The after-sales number is the case's external ID
(source "import", for the export file and the open platform alike), which makes a second import a no-op.
"""

import dataclasses
import datetime as dt

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import platform, services
from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import Case, CaseKind, EventType, Order, Reason, Status, StoreSettings
from backoffice.platform.importing import aftersales_status, parsing
from backoffice.platform.importing.aftersales_status import CLOSED, DONE, PENDING, PlatformStatus
from backoffice.platform.importing.orders import CREATE, REJECT, SKIP, UNCHANGED, UPDATE, Outcome
from backoffice.platform.importing.parsing import RowError
from backoffice.store.money import format_fen

SOURCE = "import"

# PDD's after-sales types, exact wording first, then by what they contain.
KINDS = {
    "仅退款": CaseKind.REFUND,
    "退款": CaseKind.REFUND,
    "退货退款": CaseKind.RETURN,
    "换货": CaseKind.EXCHANGE,
    "补寄": CaseKind.RESHIP,
    "缺货补寄": CaseKind.RESHIP,
    "维修": CaseKind.INQUIRY,
}
KIND_KEYWORDS = [
    ("退货", CaseKind.RETURN),
    ("换货", CaseKind.EXCHANGE),
    ("补寄", CaseKind.RESHIP),
    ("退款", CaseKind.REFUND),
]

# The buyer's reason (free text in the export) → our reason codes for the weekly report (A11); first match wins.
REASON_KEYWORDS: list[tuple[tuple[str, ...], str]] = [
    (("发错", "错发", "少发", "漏发", "少件"), Reason.WRONG_ITEM),
    (("尺码", "尺寸", "大小", "偏大", "偏小"), Reason.SIZE),
    (("描述不符", "不符", "色差", "假货", "材质"), Reason.NOT_AS_DESCRIBED),
    (("质量", "破损", "瑕疵", "损坏", "做工", "坏了", "污渍", "开线"), Reason.QUALITY),
    (("物流", "快递", "未收到", "没收到", "配送", "延迟发货", "未按约定时间发货"), Reason.LOGISTICS),
    (("不想要", "不喜欢", "拍错", "多拍", "无理由", "买错"), Reason.CHANGED_MIND),
]

_KIND_LABELS = dict(CaseKind.choices)


def after_sales_kind(value: object) -> str:
    raw = parsing.text(value)
    key = "".join(raw.split())
    if not key:
        raise RowError(_("The after-sales type (售后类型) is empty."))
    if key in KINDS:
        return KINDS[key]
    for word, kind in KIND_KEYWORDS:
        if word in key:
            return kind
    raise RowError(_("Unknown after-sales type “%(value)s”.") % {"value": raw[:30]})


def reason_code(text: str) -> str:
    for words, reason in REASON_KEYWORDS:
        if any(word in text for word in words):
            return reason
    return Reason.OTHER if text else ""


def platform_state(text: str) -> str:
    """Where the application stands on the platform: still open, finished (退款成功…), or closed/withdrawn."""
    return aftersales_status.from_text(text).state


@dataclasses.dataclass
class AftersalesRow:
    line: int
    number: str
    order_number: str
    kind: str
    applied_at: dt.datetime
    amount_fen: int | None = None
    status_text: str = ""
    reason_text: str = ""
    description: str = ""
    status_code: str = ""  # the API's after_sales_status; the export has only the text

    @property
    def platform_status(self) -> PlatformStatus:
        if self.status_code:
            return aftersales_status.from_code(self.status_code)
        return aftersales_status.from_text(self.status_text)

    @property
    def state(self) -> str:
        return self.platform_status.state

    @property
    def reason(self) -> str:
        return reason_code(self.reason_text)

    @property
    def subject(self) -> str:
        return " · ".join(part for part in (self.reason_text, self.description) if part)[:200]


def parse_row(line: int, record: dict) -> AftersalesRow:
    get = record.get
    return AftersalesRow(
        line=line,
        number=parsing.platform_id(get("aftersales_number"), label=_("after-sales number")),
        order_number=parsing.order_number(get("order_number")),
        kind=after_sales_kind(get("aftersales_type")),
        applied_at=parsing.moment(get("applied_at"), label="申请时间", required=True),
        amount_fen=parsing.money_fen(get("refund_amount"), label="退款金额"),
        status_text=parsing.text(get("aftersales_status"))[:40],
        reason_text=parsing.text(get("reason"))[:100],
        description=parsing.text(get("description"))[:200],
    )


def update_application(*, case: Case, changes: dict, actor=None, store: StoreSettings | None = None) -> Case:
    """The platform changed an open application (kind, reason, amount): apply it, log it, re-run automation (A5).

    A new kind gets its own A7 deadline, counted from the application time, unless the case was already handled.
    """
    store = store or StoreSettings.load()
    with transaction.atomic():
        fields = dict(changes)
        if "kind" in fields and case.handled_at is None:
            resolve_due = casework.resolve_deadline(fields["kind"], case.created_at, store)
            fields.update(resolve_due=resolve_due, due_at=casework.nearest_due(case.first_response_due, resolve_due))
        fields["updated_at"] = timezone.now()
        if not Case.objects.filter(pk=case.pk, status=case.status).update(**fields):
            raise DomainError(_("Someone else changed this case just now. Import again to apply the update."))
        before = {field: getattr(case, field) for field in changes}
        for field, value in fields.items():
            setattr(case, field, value)
        casework.record_event(
            case=case,
            type=EventType.CASE_UPDATED,
            actor=actor,
            body=_("Updated from the platform's after-sales data."),
            before=before,
            after=dict(changes),
        )
        services.apply_automation(case=case, store=store)
    return case


class AftersalesImporter:
    """Opens or updates after-sales cases from AftersalesRows, each row in its own savepoint."""

    def __init__(self, *, dry_run: bool = False, store: StoreSettings | None = None, actor=None) -> None:
        self.dry_run = dry_run
        self.store = store or StoreSettings.load()
        self.actor = actor

    def apply(self, rows: list[AftersalesRow]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        latest: dict[str, AftersalesRow] = {}
        for row in rows:
            if row.number in latest:
                earlier = latest[row.number]
                outcomes.append(
                    Outcome(
                        earlier.line,
                        SKIP,
                        row.number,
                        _("The same application is on line %(line)s too; that later line is used.")
                        % {"line": row.line},
                    )
                )
            latest[row.number] = row
        orders = {
            order.number: order
            for order in Order.objects.filter(number__in={row.order_number for row in latest.values()}).select_related(
                "customer"
            )
        }
        cases = {case.external_id: case for case in Case.objects.filter(source=SOURCE, external_id__in=list(latest))}
        for row in latest.values():
            try:
                if self.dry_run:
                    action, detail, _write = self._decide(row, orders.get(row.order_number), cases.get(row.number))
                else:
                    with transaction.atomic():
                        action, detail, write = self._decide(row, orders.get(row.order_number), cases.get(row.number))
                        if write is not None:
                            write()
                outcomes.append(Outcome(row.line, action, row.number, detail))
            except (RowError, DomainError) as exc:
                outcomes.append(Outcome(row.line, REJECT, row.number, str(exc)))
            except DatabaseError as exc:
                outcomes.append(
                    Outcome(
                        row.line, REJECT, row.number, _("The database refused this row: %(error)s") % {"error": exc}
                    )
                )
        outcomes.sort(key=lambda outcome: outcome.line)
        return outcomes

    def _decide(self, row: AftersalesRow, order: Order | None, case: Case | None):
        """(action, what it means, the write to do) for one row; the write is None when nothing changes."""
        if case is None:
            return self._decide_new(row, order)
        status = row.platform_status
        news = self._platform_news(case, status)
        if not case.is_open:
            if status.intervened and status.state == PENDING and case.platform_intervened_at is None:
                note = _("Reopened: the platform intervened (%(status)s).") % {"status": status.text}
                return UPDATE, note, lambda: self._reopen_for_platform(case, status, note)
            if status.state == DONE and services.refunds_on_the_way(case):
                # A3/A9: the platform says the refund arrived: the apology and the follow-up start from here.
                note = _("Refund arrived (%(status)s).") % {"status": status.text}
                return UPDATE, note, lambda: self._record_status(case, status, then=lambda: self._arrived(case))
            if news:
                return UPDATE, news, lambda: self._record_status(case, status)
            return UNCHANGED, "", None
        state = status.state
        if state == CLOSED:
            note = _("Closed on the platform (%(status)s).") % {"status": status.text}
            return UPDATE, note, lambda: self._record_status(case, status, then=lambda: self._close(case, note))
        if state == DONE:
            return (
                UPDATE,
                _("Finished on the platform (%(status)s).") % {"status": status.text},
                lambda: self._record_status(case, status, then=lambda: self._finish(case, row)),
            )
        changes = {}
        if row.kind != case.kind:
            changes["kind"] = row.kind
        if row.reason and row.reason != case.reason:
            changes["reason"] = row.reason
        if row.amount_fen is not None and row.amount_fen != case.amount_fen:
            if case.order is not None and row.amount_fen > case.order.paid_fen:
                raise RowError(_("The refund amount is more than the customer paid for the order."))
            changes["amount_fen"] = row.amount_fen
        if not changes:
            if news:
                return UPDATE, news, lambda: self._record_status(case, status)
            return UNCHANGED, "", None
        detail = ", ".join(f"{field}: {getattr(case, field)} → {value}" for field, value in changes.items())
        if news:
            detail = f"{news}; {detail}"
        return (
            UPDATE,
            detail,
            lambda: self._record_status(
                case,
                status,
                then=lambda: update_application(case=case, changes=changes, actor=self.actor, store=self.store),
            ),
        )

    @staticmethod
    def _platform_news(case: Case, status: PlatformStatus) -> str:
        """What the preview says about the platform's status, or "" when the case already has it."""
        if status.intervened and case.platform_intervened_at is None:
            return _("The platform intervened (%(status)s)") % {"status": status.text}
        if (case.platform_status_code, case.platform_status) != (status.code, status.text[:60]):
            return _("Platform status: %(status)s") % {"status": status.text}
        return ""

    def _record_status(self, case: Case, status: PlatformStatus, then=None) -> None:
        platform.record_platform_status(case=case, status=status, actor=self.actor)
        if then is not None:
            then()

    def _close(self, case: Case, note: str) -> None:
        services.close_case(case=case, actor=self.actor, note=note)

    def _reopen_for_platform(self, case: Case, status: PlatformStatus, note: str) -> None:
        """The platform stepped into an application the store had settled: the case is worked again, first."""
        services.reopen_case(case=case, actor=self.actor, note=note)
        platform.record_platform_status(case=case, status=status, actor=self.actor)

    def _decide_new(self, row: AftersalesRow, order: Order | None):
        if order is None:
            raise RowError(
                _("Order %(number)s is not in the back office yet: import the order export first.")
                % {"number": row.order_number}
            )
        if row.state != PENDING:
            return (
                SKIP,
                _("Already finished on the platform (%(status)s); no case opened.") % {"status": row.status_text},
                None,
            )
        amount = row.amount_fen or 0
        if amount > order.paid_fen:
            raise RowError(
                _("The refund amount %(amount)s is more than the %(paid)s paid for order %(number)s.")
                % {"amount": format_fen(amount), "paid": format_fen(order.paid_fen), "number": order.number}
            )
        detail = f"{_KIND_LABELS[row.kind]} {format_fen(amount)}" if amount else str(_KIND_LABELS[row.kind])
        if row.kind == CaseKind.REFUND and 0 < amount < self.store.auto_refund_threshold_fen:
            detail += " · " + _("approved automatically (A5)")

        def write():
            case = services.open_application(
                kind=row.kind,
                order=order,
                customer=order.customer,
                reason=row.reason,
                amount_fen=amount,
                subject=row.subject,
                source=SOURCE,
                external_id=row.number,
                opened_at=row.applied_at,
                actor=self.actor,
            )
            platform.record_platform_status(case=case, status=row.platform_status, actor=self.actor)

        if row.platform_status.intervened:
            detail += " · " + _("the platform intervened")
        return CREATE, detail, write

    @staticmethod
    def _arrived(case: Case) -> None:
        """The platform reported success (退款成功): the case's requested refunds arrived, confirmed by the platform."""
        for payout in services.refunds_on_the_way(case):
            services.confirm_payout(payout=payout, succeeded=True, actor=None)

    def _finish(self, case: Case, row: AftersalesRow) -> None:
        """The platform reports the application done: a refund is recorded as paid (A3), other kinds resolved."""
        note = _("Finished on the platform (%(status)s).") % {"status": row.status_text}
        if case.kind in services.REFUNDABLE_KINDS and case.order is not None:
            amount = min(row.amount_fen or case.amount_fen, services.refundable_fen(case.order))
            if amount > 0:
                services.approve_refund(case=case, actor=self.actor, amount_fen=amount, note=note)
                self._arrived(case)
                return
        extra = {"resolution": "platform"}
        if case.handled_at is None:
            extra["handled_at"] = timezone.now()
        casework.transition_case(case=case, to=Status.RESOLVED, actor=self.actor, note=note, extra=extra)
