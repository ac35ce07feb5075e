"""Platform data in: file imports of the store's PDD exports, and the open-platform sync's cursors and credentials."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Rejected rows kept on a job for people to read; the count stays exact beyond it.
ERRORS_CAP = 500
# Example rows to create / update that the check keeps for the preview.
SAMPLES_CAP = 20


def secret_hint(value: str) -> str:
    """Enough of a secret to recognise it (ab12…), never enough to use it."""
    value = value or ""
    if not value:
        return ""
    return (value[:4] if len(value) >= 12 else "") + "…"


class ImportJob(models.Model):
    """One uploaded export: checked first (a dry run), then imported; progress and results live on the row."""

    class Kind(models.TextChoices):
        ORDERS = "orders", _("Order export")
        AFTERSALES = "aftersales", _("After-sales export")

    class State(models.TextChoices):
        CHECK_QUEUED = "check_queued", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORT_QUEUED = "import_queued", _("Waiting to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.CHECK_QUEUED)
    file_path = models.CharField(_("file"), max_length=255, help_text=_("Relative to MEDIA_ROOT."))
    original_name = models.CharField(_("file name"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    all_or_nothing = models.BooleanField(
        _("all or nothing"), default=False, help_text=_("Import nothing when any row is rejected.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # What the check found: counts per outcome and a few example rows.
    preview = models.JSONField(_("check result"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    progress_permille = models.PositiveSmallIntegerField(_("progress (‰)"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"line": 12, "reason": "…"}] for the current phase, at most ERRORS_CAP of them.
    errors = models.JSONField(_("rejected rows"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    ACTIVE_STATES = (State.CHECK_QUEUED, State.CHECKING, State.IMPORT_QUEUED, State.IMPORTING)

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def progress_percent(self) -> int:
        return self.progress_permille // 10


class SyncCursor(models.Model):
    """How far one open-platform stream is in: every change up to `synced_until` has been applied.

    The cursor moves only after a whole time window was read and written, so a restart re-reads at most one window
    (the writes are idempotent) and never skips one.
    """

    class Stream(models.TextChoices):
        ORDERS = "orders", _("Orders")
        AFTERSALES = "aftersales", _("After-sales applications")

    stream = models.CharField(_("stream"), max_length=20, choices=Stream, unique=True)
    synced_until = models.DateTimeField(_("synced up to"), null=True, blank=True)
    # A run holds the stream until this time; a crashed run's hold simply expires.
    locked_until = models.DateTimeField(_("held by a run until"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_counts = models.JSONField(_("last run's counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")

    def __str__(self) -> str:
        return self.get_stream_display()


class PlatformCredentials(models.Model):
    """The store's PDD open-platform app (one record). Environment variables, when set, take precedence.

    The secret and the token must be sent (signed) with every call, so they are stored as given;
    they are never shown back in full.
    """

    DEFAULT_API_URL = "https://gw-api.pinduoduo.com/api/router"

    client_id = models.CharField(_("client ID"), max_length=64, blank=True)
    client_secret = models.CharField(_("client secret"), max_length=128, blank=True)
    access_token = models.CharField(_("access token"), max_length=256, blank=True)
    api_url = models.URLField(_("API address"), default=DEFAULT_API_URL)
    sync_enabled = models.BooleanField(_("sync enabled"), default=True)
    initial_days = models.PositiveSmallIntegerField(
        _("first sync reaches back (days)"), default=1, help_text=_("Only for a stream that never synced before.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("platform credentials")
        verbose_name_plural = _("platform credentials")

    def __str__(self) -> str:
        return str(_("PDD open platform"))

    @classmethod
    def load(cls) -> "PlatformCredentials":
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def secret_hint(self) -> str:
        return secret_hint(self.client_secret)

    @property
    def token_hint(self) -> str:
        return secret_hint(self.access_token)
