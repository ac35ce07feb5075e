from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from surveys.defaults import ensure_survey_defaults

        post_migrate.connect(ensure_survey_defaults, sender=self, dispatch_uid="surveys.ensure_survey_defaults")
        from backoffice.store.cache import forget_when_saved
        from surveys.models import SurveySettings

        forget_when_saved(SurveySettings)
