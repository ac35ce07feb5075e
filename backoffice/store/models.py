"""The store's settings: one record that store admins edit in Django admin. Every rule number lives here."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.store.cache import kept


class StoreSettings(models.Model):
    store_name = models.CharField(_("store name"), max_length=60, default="优选生活旗舰店")
    return_address = models.CharField(
        _("return address"),
        max_length=200,
        default="浙江省杭州市余杭区仓前街道文一西路 998 号 售后组 收（电话 0571-88886666）",
    )
    # R1
    first_response_minutes = models.PositiveIntegerField(_("first human reply within (minutes)"), default=3)
    # R1 as the platform measures it: first messages inside a daily window, whatever the store's own hours.
    r1_window_opens = models.TimeField(
        _("reply-rate window opens"),
        default=dt.time(8, 0),
        help_text=_("The platform counts the 3-minute rate only for messages in this daily window."),
    )
    r1_window_closes = models.TimeField(_("reply-rate window closes"), default=dt.time(23, 0))
    # L1, L2, L4, L5, L6
    ship_within_hours = models.PositiveIntegerField(_("ship within (hours after payment)"), default=48)
    ship_warning_hours = models.PositiveIntegerField(_("warn before the ship-by deadline (hours)"), default=6)
    holidays_pause_ship_clock = models.BooleanField(
        _("holidays pause the shipping clock"),
        default=False,
        help_text=_("Off: the 48 h clock runs through nights and holidays, as the platform counts it."),
    )
    presale_default_days = models.PositiveIntegerField(_("presale ships within (days)"), default=7)
    first_tracking_event_hours = models.PositiveIntegerField(_("first tracking update within (hours)"), default=24)
    tracking_stall_hours = models.PositiveIntegerField(_("tracking stalled after (hours)"), default=72)
    shipment_notice_minutes = models.PositiveIntegerField(_("shipment notice within (minutes)"), default=60)
    expected_delivery_days_min = models.PositiveIntegerField(_("expected delivery, from (days)"), default=3)
    expected_delivery_days_max = models.PositiveIntegerField(_("expected delivery, to (days)"), default=5)
    out_of_stock_wait_days = models.PositiveIntegerField(_("out-of-stock wait offer (days)"), default=3)
    # L6, A1: "偏远地区 5 天左右到" — remote areas get a longer delivery estimate.
    remote_provinces = models.CharField(
        _("remote areas"),
        max_length=200,
        default="新疆,西藏,青海,内蒙古,宁夏,甘肃,海南",
        blank=True,
        help_text=_("Provinces, separated by commas: their orders get the remote delivery estimate."),
    )
    remote_delivery_days_min = models.PositiveIntegerField(_("remote areas: expected delivery, from (days)"), default=5)
    remote_delivery_days_max = models.PositiveIntegerField(_("remote areas: expected delivery, to (days)"), default=7)
    # (assumed) How long an agent has to act on a new logistics problem.
    shipping_problem_act_hours = models.PositiveIntegerField(
        _("act on a late or out-of-stock order within (hours)"), default=2
    )
    tracking_problem_act_hours = models.PositiveIntegerField(
        _("act on silent or stalled tracking within (hours)"), default=4
    )
    notice_lookback_hours = models.PositiveIntegerField(
        _("send a missed shipment notice or reminder up to (hours) late"),
        default=24,
        help_text=_("After an outage, L6 and A1 still go out for parcels this recent; older ones are no news."),
    )
    # A5, A7
    auto_refund_threshold_fen = models.PositiveIntegerField(
        _("auto-approve refunds under (yuan)"), default=2000, help_text=_("A5: e.g. 20.00")
    )
    small_defect_compensation_fen = models.PositiveIntegerField(_("small-defect compensation (yuan)"), default=500)
    refund_handle_hours = models.PositiveIntegerField(_("handle refund applications within (hours)"), default=48)
    return_review_hours = models.PositiveIntegerField(_("review return applications within (hours)"), default=24)
    exchange_review_hours = models.PositiveIntegerField(_("review exchange applications within (hours)"), default=24)
    compensation_handle_hours = models.PositiveIntegerField(_("handle compensation cases within (hours)"), default=48)
    reship_handle_hours = models.PositiveIntegerField(_("handle reship cases within (hours)"), default=48)
    review_handle_hours = models.PositiveIntegerField(_("handle mid/negative review cases within (hours)"), default=48)
    # A4
    first_handling_minutes = models.PositiveIntegerField(
        _("first handling of an application within (minutes)"),
        default=60,
        help_text=_("A4: “I handle it within 1 hour” — told to the customer and kept as a deadline on the case."),
    )
    # A3
    sms_channel = models.BooleanField(
        _("the messaging gateway sends SMS"),
        default=False,
        help_text=_("On: the apology after a refund goes by SMS (to customers with a phone number), else by chat."),
    )
    # A9: nothing waits on a click
    settled_close_hours = models.PositiveIntegerField(
        _("close settled cases after a quiet period of (hours)"),
        default=48,
        help_text=_("A resolved case whose money has arrived and whose customer stayed quiet this long closes itself."),
    )
    auto_assign = models.BooleanField(
        _("assign new cases automatically"),
        default=False,
        help_text=_("Round robin to agents on duty, up to each agent's open-case limit."),
    )
    due_soon_minutes = models.PositiveIntegerField(
        _('"due soon" means within (minutes)'), default=120, help_text=_("(assumed) Used by the due-soon queue.")
    )
    # A9, A10, L3 follow-up
    # Coupon values live on their campaigns (one source of truth for what is promised and what is issued).
    followup_delay_min_hours = models.PositiveIntegerField(_("follow-up after, at least (hours)"), default=24)
    followup_delay_max_hours = models.PositiveIntegerField(_("follow-up after, at most (hours)"), default=48)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("store settings")
        verbose_name_plural = _("store settings")

    def __str__(self) -> str:
        return str(_("Store settings"))

    def clean(self) -> None:
        if self.followup_delay_min_hours > self.followup_delay_max_hours:
            raise ValidationError(_("The follow-up window must start before it ends."))
        if self.r1_window_opens >= self.r1_window_closes:
            raise ValidationError(_("The reply-rate window must open before it closes."))
        if self.expected_delivery_days_min > self.expected_delivery_days_max:
            raise ValidationError(_("Expected delivery days: 'from' must not be after 'to'."))
        if self.remote_delivery_days_min > self.remote_delivery_days_max:
            raise ValidationError(_("Expected delivery days: 'from' must not be after 'to'."))

    @property
    def remote_province_list(self) -> list[str]:
        return [name.strip() for name in self.remote_provinces.replace("，", ",").split(",") if name.strip()]

    def is_remote(self, *addresses: str) -> bool:
        """Whether an address (a province, or a full address starting with one) is in a remote area (L6)."""
        return any(address.strip().startswith(p) for address in addresses if address for p in self.remote_province_list)

    def delivery_days(self, *addresses: str) -> tuple[int, int]:
        """The expected delivery, in days after shipping: the remote areas' estimate for their addresses (L6, A1)."""
        if self.is_remote(*addresses):
            return self.remote_delivery_days_min, self.remote_delivery_days_max
        return self.expected_delivery_days_min, self.expected_delivery_days_max

    @classmethod
    def load(cls) -> "StoreSettings":
        """The store's settings, read once per request or task (backoffice.store.cache; a save is seen at once)."""
        return kept("store_settings", cls._read)

    @classmethod
    def _read(cls) -> "StoreSettings":
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class BusinessHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    settings = models.ForeignKey(StoreSettings, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    opens = models.TimeField(_("opens"), default=dt.time(9, 0))
    closes = models.TimeField(_("closes"), default=dt.time(23, 0))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens >= self.closes:
            raise ValidationError(_("Opening time must be before closing time."))


class Holiday(models.Model):
    """A closed day, or a weekend day worked in exchange for a holiday (调休)."""

    settings = models.ForeignKey(StoreSettings, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=40)
    is_workday = models.BooleanField(
        _("worked day"),
        default=False,
        help_text=_("A weekend day worked in exchange (调休): open with Monday's hours."),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["settings", "date"], name="holiday_once_per_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
