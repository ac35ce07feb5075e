# Payouts move from the after-sales app to the shared payout service: the table and its rows stay where they are
# (aftersales_payout); only Django's idea of which app owns the model changes, and the content type with it.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, *, source="aftersales", target="backoffice"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    types = ContentType.objects.using(schema_editor.connection.alias)
    old = types.filter(app_label=source, model="payout").first()
    if old is None:
        return
    new = types.filter(app_label=target, model="payout").first()
    if new is None:
        old.app_label = target
        old.save(update_fields=["app_label"])
        return
    # Both exist (a start after migrating back made the other one): the permissions the groups and people hold, and
    # the admin's history, move to the one that stays, so deleting the other loses neither.
    for permission in Permission.objects.filter(content_type=old):
        twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
            continue
        twin.group_set.add(*permission.group_set.all())
        twin.user_set.add(*permission.user_set.all())
        permission.delete()
    LogEntry.objects.filter(content_type=old).update(content_type=new)
    old.delete()


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="backoffice", target="aftersales")


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0014_queue_search_and_report_indexes'),
        ('aftersales', '0003_small_defect_offer'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('admin', '0003_logentry_add_action_flag_choices'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='Payout',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('refund', 'Refund'), ('compensation', 'Compensation')], max_length=20, verbose_name='kind')),
                ('amount_fen', models.PositiveIntegerField(verbose_name='amount (fen)')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                ('state', models.CharField(choices=[('requested', 'Requested'), ('succeeded', 'Arrived'), ('failed', 'Failed')], default='requested', max_length=10, verbose_name='state')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payouts', to='backoffice.case', verbose_name='case')),
                ('confirmed_by', models.ForeignKey(blank=True, help_text='Empty: the platform (sync or import).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='confirmed by')),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payouts', to='backoffice.order', verbose_name='order')),
            ],
            options={
                'verbose_name': 'payout',
                'verbose_name_plural': 'payouts',
                'db_table': 'aftersales_payout',
                'indexes': [models.Index(fields=['order', 'kind'], name='aftersales__order_i_e59a54_idx'), models.Index(fields=['created_at'], name='aftersales__created_49e764_idx'), models.Index(fields=['state', 'confirmed_at'], name='payout_state')],
            },
        ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
