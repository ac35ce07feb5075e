"""A small JSON endpoint for a chat or platform gateway: customer messages and after-sales applications.

Token auth, one token per integration (created in admin). Malformed requests get a 400 with the reason;
a repeated delivery (same external id) is answered with the first result and stored once.
"""

import json

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aftersales import services
from backoffice.cases.forms import YuanField
from backoffice.errors import DomainError
from backoffice.messaging.models import hash_token
from backoffice.models import OPEN_STATUSES, Case, CaseEvent, CaseKind, Customer, Desk, Integration, Order, Reason
from backoffice.platform.timestamps import TimestampField

APPLICATION_KINDS = [
    (k.value, k.label)
    for k in (
        CaseKind.REFUND,
        CaseKind.RETURN,
        CaseKind.EXCHANGE,
        CaseKind.RESHIP,
        CaseKind.COMPENSATION,
        CaseKind.INQUIRY,
        CaseKind.REVIEW,
    )
]
# The source of the inquiry cases a gateway's messages open (one new one per customer and order: a constraint).
MESSAGE_SOURCE = "gateway"
# A delivery that lost a race reads the winner's result; a few rounds are plenty (each loser waits for one commit).
DELIVERY_ATTEMPTS = 4


def _column(model, field: str) -> int:
    """The column's length, so that what a form accepts always fits where it is stored."""
    return model._meta.get_field(field).max_length


class MessageIn(forms.Form):
    external_id = forms.CharField(max_length=_column(CaseEvent, "external_id"))
    pdd_user_id = forms.CharField(max_length=_column(Customer, "pdd_user_id"))
    nickname = forms.CharField(max_length=_column(Customer, "nickname"), required=False)
    order_number = forms.CharField(max_length=_column(Order, "number"), required=False)
    text = forms.CharField(max_length=4000)
    sent_at = TimestampField(required=False)

    def __init__(self, *args, integration: Integration, **kwargs):
        super().__init__(*args, **kwargs)
        self.integration = integration

    def stored_external_id(self, external_id: str) -> str:
        # One gateway's message ids never collide with another's.
        return f"{self.integration.pk}:{external_id}"

    def clean_external_id(self):
        value = self.cleaned_data["external_id"]
        limit = _column(CaseEvent, "external_id") - len(self.stored_external_id(""))
        if len(value) > limit:
            raise forms.ValidationError(_("At most %(limit)s characters.") % {"limit": limit})
        return value


class ApplicationIn(forms.Form):
    external_id = forms.CharField(max_length=_column(Case, "external_id"))
    order_number = forms.CharField(max_length=_column(Order, "number"))
    kind = forms.ChoiceField(choices=APPLICATION_KINDS)
    reason = forms.ChoiceField(choices=Reason.choices, required=False)
    amount = YuanField(required=False)
    small_defect = forms.BooleanField(required=False)
    message = forms.CharField(max_length=4000, required=False)
    applied_at = TimestampField(required=False)

    def __init__(self, *args, integration: Integration, **kwargs):
        super().__init__(*args, **kwargs)
        self.integration = integration

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip()
        self.order = Order.objects.select_related("customer").filter(number=number).first()
        if self.order is None:
            raise forms.ValidationError(_("Unknown order number."))
        return number


def _error(status: int, message: str, errors=None) -> JsonResponse:
    body = {"error": message}
    if errors:
        body["fields"] = {field: [str(e) for e in errs] for field, errs in errors.items()}
    return JsonResponse(body, status=status)


def _authenticate(request: HttpRequest) -> Integration | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    integration = Integration.objects.filter(token_hash=hash_token(header[7:].strip()), active=True).first()
    if integration is not None:
        Integration.objects.filter(pk=integration.pk).update(last_used_at=timezone.now())
    return integration


def _is_text(value: str) -> bool:
    """False for a string no database can store: a lone UTF-16 surrogate ("\\ud800") that JSON lets through."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shape_errors(payload: dict, form_class) -> dict[str, list[str]]:
    """Each field the form reads must be one JSON value (text, number, true/false or null) holding real text."""
    errors: dict[str, list[str]] = {}
    for name in form_class.base_fields:
        value = payload.get(name)
        if isinstance(value, list | dict):
            errors[name] = [_("Give a single value here, not a list or an object.")]
        elif isinstance(value, str) and not _is_text(value):
            errors[name] = [_("The text holds an invalid character (a lone surrogate).")]
    return errors


def _deeply_nested_field(body: bytes) -> str:
    """The top-level field of a body too deeply nested to parse, read by counting brackets outside strings."""
    text = body.decode("utf-8", errors="replace")
    depth, in_string, escaped, start, key = 0, False, False, 0, ""
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:
                    key = text[start + 1 : index]
            continue
        if char == '"':
            in_string, start = True, index
        elif char in "[{":
            depth += 1
            if depth == 2:
                break  # the first nested value: its key is the last top-level string read
        elif char in "]}":
            depth -= 1
    try:
        decoded = json.loads(f'"{key}"')
    except ValueError:
        decoded = key
    return str(decoded)[:40] if isinstance(decoded, str) and _is_text(decoded) else ""


def _parse(request: HttpRequest, form_class):
    integration = _authenticate(request)
    if integration is None:
        return None, None, _error(401, _("Missing or invalid token."))
    body = request.body or b""
    try:
        payload = json.loads(body)
    except RecursionError:
        field = _deeply_nested_field(body)
        message = _("The JSON is nested too deeply.")
        return None, None, _error(400, message, {field: [message]} if field else None)
    except (ValueError, UnicodeDecodeError):
        return None, None, _error(400, _("The body is not valid JSON."))
    if not isinstance(payload, dict):
        return None, None, _error(400, _("The body must be a JSON object."))
    errors = _shape_errors(payload, form_class)
    if errors:
        return None, None, _error(400, _("Some fields are missing or invalid."), errors)
    form = form_class(payload, integration=integration)
    if not form.is_valid():
        return None, None, _error(400, _("Some fields are missing or invalid."), form.errors)
    return integration, form, None


class _AlreadyStored(Exception):
    """Another delivery of the same message committed first: this attempt's writes are undone."""


def deliver_message(*, form: MessageIn) -> tuple[Case, bool] | None:
    """R1: a customer message from a gateway, stored once, in the customer's open after-sales case or a new inquiry.

    Returns (case, stored): stored is False for a repeated delivery. Identical deliveries racing each other (a
    gateway's retry storm) end with one message and one case: the database refuses a second event with the same
    external id and a second new gateway inquiry for the same customer and order; a delivery that hits either rolls
    its attempt back and reads the winner's result. None: still undecided after a few rounds (the gateway retries).
    """
    data = form.cleaned_data
    external_id = form.stored_external_id(data["external_id"])
    for _attempt in range(DELIVERY_ATTEMPTS):
        existing = CaseEvent.objects.filter(external_id=external_id).select_related("case").first()
        if existing is not None:
            return existing.case, False
        customer, _created = Customer.objects.get_or_create(
            pdd_user_id=data["pdd_user_id"], defaults={"nickname": data["nickname"] or data["pdd_user_id"]}
        )
        order = None
        if data["order_number"]:
            order = Order.objects.filter(number=data["order_number"], customer=customer).first()
        open_cases = Case.objects.filter(desk=Desk.AFTERSALES, customer=customer, status__in=OPEN_STATUSES)
        if order is not None:
            open_cases = open_cases.filter(order=order)
        case = open_cases.order_by("-created_at").first()
        try:
            with transaction.atomic():
                if case is None:
                    case = services.open_application(
                        kind=CaseKind.INQUIRY, order=order, customer=customer, source=MESSAGE_SOURCE
                    )
                event = services.record_customer_message(
                    case=case, body=data["text"], at=data["sent_at"] or timezone.now(), external_id=external_id
                )
                if event is None:
                    raise _AlreadyStored
        except (IntegrityError, DomainError, _AlreadyStored):
            continue  # another delivery (or an agent) got there first: read again
        return case, True
    existing = CaseEvent.objects.filter(external_id=external_id).select_related("case").first()
    return (existing.case, False) if existing is not None else None


@csrf_exempt
@login_not_required
@require_POST
def post_message(request: HttpRequest) -> JsonResponse:
    _integration, form, error = _parse(request, MessageIn)
    if error:
        return error
    delivered = deliver_message(form=form)
    if delivered is None:
        response = _error(503, _("The message could not be stored just now; send it again."))
        response["Retry-After"] = "1"
        return response
    case, stored = delivered
    return JsonResponse({"case": case.number, "duplicate": not stored}, status=201 if stored else 200)


@csrf_exempt
@login_not_required
@require_POST
def post_application(request: HttpRequest) -> JsonResponse:
    integration, form, error = _parse(request, ApplicationIn)
    if error:
        return error
    data = form.cleaned_data
    source = f"gateway:{integration.pk}"
    existing = Case.objects.filter(source=source, external_id=data["external_id"]).first()
    if existing is not None:
        return JsonResponse({"case": existing.number, "status": existing.status, "duplicate": True})
    try:
        case = services.open_application(
            kind=data["kind"],
            order=form.order,
            reason=data["reason"],
            amount_fen=data["amount"] or 0,
            small_defect=data["small_defect"],
            message=data["message"],
            source=source,
            external_id=data["external_id"],
            opened_at=data["applied_at"] or None,
        )
    except DomainError as exc:
        return _error(400, exc.message)
    except IntegrityError:
        # The same delivery raced in twice; the first one won.
        existing = Case.objects.filter(source=source, external_id=data["external_id"]).first()
        if existing is None:
            response = _error(503, _("The application could not be stored just now; send it again."))
            response["Retry-After"] = "1"
            return response
        return JsonResponse({"case": existing.number, "status": existing.status, "duplicate": True})
    return JsonResponse({"case": case.number, "status": case.status, "duplicate": False}, status=201)
