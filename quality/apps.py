from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Quality review")

    def ready(self) -> None:
        post_migrate.connect(ensure_phrase_list, sender=self, dispatch_uid="quality.ensure_phrase_list")
        from backoffice.store.cache import forget_when_saved
        from quality.models import BannedPhrase

        forget_when_saved(BannedPhrase)


def ensure_phrase_list(**kwargs) -> None:
    """An empty banned-phrase list (a new database, or one flushed) gets the defaults again; a list a store admin
    edited is left as it is. The data migration ships them the first time."""
    from quality.defaults import ensure_default_phrases
    from quality.models import BannedPhrase

    if not BannedPhrase.objects.exists():
        ensure_default_phrases(BannedPhrase)
