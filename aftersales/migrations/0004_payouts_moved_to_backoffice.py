# Payouts now belong to the shared payout service (backoffice.Payout, same table): the after-sales app forgets the model
# without touching the table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0003_small_defect_offer'),
        ('backoffice', '0015_payouts_belong_to_every_desk'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='Payout')],
        ),
    ]
