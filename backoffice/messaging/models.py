"""What the store says to customers: templates, quick phrases, auto-reply rules, and the one outbox."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.models import Case
from backoffice.platform.models import Customer

TEMPLATE_VARIABLES_HELP = _(
    "Variables: {customer_name} {order_no} {tracking_no} {courier} {amount} {refund_amount} "
    "{store_name} {return_address} {case_no} {reason} {delivery_days} {ship_within_hours} {compensation} "
    "{return_shipping}. A quick phrase whose variables a case cannot fill is shown greyed on that case."
)


class Channel(models.TextChoices):
    CHAT = "chat", _("Platform chat")
    SMS = "sms", _("SMS")


class MessageTemplate(models.Model):
    key = models.SlugField(_("key"), max_length=60, unique=True, help_text=_("Used by the code to find the template."))
    name = models.CharField(_("name"), max_length=80)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.CHAT)
    body = models.TextField(_("text"), help_text=TEMPLATE_VARIABLES_HELP)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return self.name


class QuickPhrase(models.Model):
    """R3/R4: one click inserts a phrase into the reply box, with the case's variables filled in."""

    title = models.CharField(_("title"), max_length=60)
    category = models.CharField(_("category"), max_length=30, blank=True)
    body = models.TextField(_("text"), help_text=TEMPLATE_VARIABLES_HELP)
    sort_order = models.PositiveIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "title"]
        verbose_name = _("quick phrase")
        verbose_name_plural = _("quick phrases")

    def __str__(self) -> str:
        return self.title


class AutoReplyRule(models.Model):
    """A6: a customer message containing one of the keywords gets the template as an automatic reply."""

    name = models.CharField(_("name"), max_length=60)
    keywords = models.CharField(
        _("keywords"), max_length=300, help_text=_("Separate with commas; any one of them matches.")
    )
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, verbose_name=_("template"))
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Lower runs first."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("auto-reply rule")
        verbose_name_plural = _("auto-reply rules")

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        normalized = self.keywords.replace("，", ",")
        return [word.strip() for word in normalized.split(",") if word.strip()]


class OutboundMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="outbound", verbose_name=_("case")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.CHAT)
    template_key = models.CharField(_("template"), max_length=60, blank=True)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [models.Index(fields=["state", "send_after"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.customer}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Integration(models.Model):
    """A chat or platform gateway allowed to post customer messages and applications, one token each."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token"), max_length=12, editable=False, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self) -> str:
        return self.name

    def issue_token(self) -> str:
        """Make a new token; only its hash is kept, so it is shown once."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.token_hint = token[:6] + "…"
        return token
