from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from aftersales.services import open_for_another_desk
        from backoffice.cases import handoff
        from backoffice.models import Desk

        # Logistics (L3 refunds) and call-backs open after-sales cases through the core, by the desk's name.
        handoff.register(Desk.AFTERSALES, open_for_another_desk)
