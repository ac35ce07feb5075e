"""A small JSON endpoint for a chat or platform gateway: customer messages and after-sales applications.

Token auth, one token per integration (created in admin). Malformed requests get a 400 with the reason;
a repeated delivery (same external id) is answered with the first result and stored once.
"""

import json

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from backoffice.errors import DomainError
from backoffice.forms import YuanField
from backoffice.models import OPEN_STATUSES, Case, CaseEvent, CaseKind, Customer, Desk, Integration, Order, Reason
from backoffice.models.messaging import hash_token

from . import services

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


class MessageIn(forms.Form):
    external_id = forms.CharField(max_length=80)
    pdd_user_id = forms.CharField(max_length=40)
    nickname = forms.CharField(max_length=60, required=False)
    order_number = forms.CharField(max_length=40, required=False)
    text = forms.CharField(max_length=4000)
    sent_at = forms.DateTimeField(required=False)


class ApplicationIn(forms.Form):
    external_id = forms.CharField(max_length=80)
    order_number = forms.CharField(max_length=40)
    kind = forms.ChoiceField(choices=APPLICATION_KINDS)
    reason = forms.ChoiceField(choices=Reason.choices, required=False)
    amount = YuanField(required=False)
    small_defect = forms.BooleanField(required=False)
    message = forms.CharField(max_length=4000, required=False)
    applied_at = forms.DateTimeField(required=False)

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


def _parse(request: HttpRequest, form_class):
    integration = _authenticate(request)
    if integration is None:
        return None, None, _error(401, _("Missing or invalid token."))
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None, None, _error(400, _("The body is not valid JSON."))
    if not isinstance(payload, dict):
        return None, None, _error(400, _("The body must be a JSON object."))
    form = form_class(payload)
    if not form.is_valid():
        return None, None, _error(400, _("Some fields are missing or invalid."), form.errors)
    return integration, form, None


@csrf_exempt
@login_not_required
@require_POST
def post_message(request: HttpRequest) -> JsonResponse:
    integration, form, error = _parse(request, MessageIn)
    if error:
        return error
    data = form.cleaned_data
    external_id = f"{integration.pk}:{data['external_id']}"
    existing = CaseEvent.objects.filter(external_id=external_id).select_related("case").first()
    if existing is not None:
        return JsonResponse({"case": existing.case.number, "duplicate": True})
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
    if case is None:
        case = services.open_application(kind=CaseKind.INQUIRY, order=order, customer=customer, source="gateway")
    event = services.record_customer_message(
        case=case, body=data["text"], at=data["sent_at"] or timezone.now(), external_id=external_id
    )
    return JsonResponse({"case": case.number, "duplicate": event is None}, status=201 if event else 200)


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
        existing = Case.objects.get(source=source, external_id=data["external_id"])
        return JsonResponse({"case": existing.number, "status": existing.status, "duplicate": True})
    return JsonResponse({"case": case.number, "status": case.status, "duplicate": False}, status=201)
