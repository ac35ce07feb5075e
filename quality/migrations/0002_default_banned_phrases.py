"""The phrases a PDD store's replies must not contain, shipped with the app; store admins edit the list after."""

from django.db import migrations


def add_defaults(apps, schema_editor):
    from quality.defaults import ensure_default_phrases

    ensure_default_phrases(apps.get_model("quality", "BannedPhrase"))


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
