"""A real store starts complete: the default quick phrases (R3/R4), keyword auto-replies (A6) and every message
template. Idempotent and never overwriting: what exists (an admin's edit) is kept; templates nobody edited get the
corrected texts (A1's return-shipping promise, the return message's shipping payer)."""

from django.db import migrations


def install(apps, schema_editor):
    from backoffice.messaging.library import install_library, upgrade_unedited_templates

    message_template = apps.get_model("backoffice", "MessageTemplate")
    install_library(
        message_template=message_template,
        quick_phrase=apps.get_model("backoffice", "QuickPhrase"),
        auto_reply_rule=apps.get_model("backoffice", "AutoReplyRule"),
    )
    upgrade_unedited_templates(message_template=message_template)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0009_audit_triggers_and_sweep_runs")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
