"""Django's database sessions, read with SQL written once (SESSION_ENGINE = "backoffice.staff.sessions").

Every page reads its session first. Building and compiling that one-row query cost the ORM more Python than the
database took to answer it; the SQL is the same for every page, so it is written once per connection
(backoffice.prepared) and run with the page's session key. Everything else is Django's database session.
"""

from django.contrib.sessions.backends import db
from django.utils import timezone

from backoffice.prepared import TEXT, PreparedRead

_SESSION = PreparedRead(
    lambda key: (
        db.SessionStore.get_model_class().objects.filter(session_key=key).values_list("session_data", "expire_date")
    ),
    values=(TEXT,),
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        rows = _SESSION.rows(self.session_key, using=self.model.objects.db)
        # The same rule as Django's (a session is valid until its expiry date), checked here instead of in the SQL.
        if rows and rows[0][1] > timezone.now():
            data, expire_date = rows[0]
            return self.model(session_key=self.session_key, session_data=data, expire_date=expire_date)
        self._session_key = None
        return None
