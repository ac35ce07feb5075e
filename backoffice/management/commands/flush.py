"""Django's flush, able to empty the append-only audit table too.

flush removes every row of every table (a scratch database, the test runner between transactional tests); the
database's audit guard refuses row deletes, so flush lifts it for its own transaction and puts it back.
"""

from django.core.management.commands.flush import Command as DjangoFlush

from backoffice.cases import audit_guard


class Command(DjangoFlush):
    help = DjangoFlush.help + " The append-only audit trail is emptied too (its guard is lifted for the flush only)."

    def handle(self, **options):
        with audit_guard.lifted(reason="manage.py flush", using=options["database"]):
            return super().handle(**options)
