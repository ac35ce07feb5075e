# Databases already past 0015 when its content type move learnt to merge: one that still has the after-sales app's
# payout content type beside the shared one (from migrating back and forth) gets the same merge now.

import importlib

from django.db import migrations

move = importlib.import_module("backoffice.migrations.0015_payouts_belong_to_every_desk").move_content_type


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0022_case_seen_from_own_steps"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
