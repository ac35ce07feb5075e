"""Django's model authentication, with the signed-in person read by SQL written once.

Every page reads the signed-in person after the session (django.contrib.auth.get_user). The query is the same for
every page, so it is written once per connection (backoffice.prepared) and run with the person's id.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from backoffice.prepared import ID, PreparedRead


def _user_fields() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


_USER = PreparedRead(
    lambda pk: get_user_model()._default_manager.filter(pk=pk).values_list(*_user_fields()), values=(ID,)
)


class StaffBackend(ModelBackend):
    """Passwords are checked as Django's ModelBackend checks them; only `get_user` reads differently."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        model = get_user_model()
        rows = _USER.rows(user_id, using=model._default_manager.db)
        if not rows:
            return None
        user = model.from_db(model._default_manager.db, _user_fields(), rows[0])
        return user if self.user_can_authenticate(user) else None
