from django.db import migrations, models


class Migration(migrations.Migration):
    """Quality review's events on the case timeline and audit log (sample drawn, review saved, answered, disputed …)."""

    dependencies = [
        ("backoffice", "0005_platform_promise_and_intervention"),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent",
            name="type",
            field=models.CharField(
                choices=[
                    ('case.opened', 'Case opened'),
                    ('case.status_changed', 'Status changed'),
                    ('case.assigned', 'Assigned'),
                    ('case.claimed', 'Taken'),
                    ('case.released', 'Released'),
                    ('case.priority_changed', 'Priority changed'),
                    ('case.updated', 'Case details changed'),
                    ('message.customer', 'Customer message'),
                    ('message.reply', 'Reply'),
                    ('message.auto_reply', 'Auto-reply'),
                    ('note.added', 'Internal note'),
                    ('outbound.queued', 'Message queued'),
                    ('outbound.sent', 'Message sent'),
                    ('outbound.failed', 'Message failed'),
                    ('aftersales.refund_approved', 'Refund approved'),
                    ('aftersales.rejected', 'Application rejected'),
                    ('aftersales.return_approved', 'Return approved'),
                    ('aftersales.return_received', 'Return received'),
                    ('aftersales.compensated', 'Compensation paid'),
                    ('aftersales.reshipped', 'Reship arranged'),
                    ('aftersales.exchanged', 'Exchange arranged'),
                    ('aftersales.review_tracked', 'Review outcome recorded'),
                    ('aftersales.platform_status', 'Platform status changed'),
                    ('aftersales.platform_intervened', 'Platform intervened'),
                    ('notification.read', 'Notification read'),
                    ('settings.changed', 'Settings changed'),
                    ('staff.duty_changed', 'On duty changed'),
                    ('survey.answered', 'Survey answered'),
                    ('survey.callback_opened', 'Call-back opened'),
                    ('survey.call_logged', 'Call logged'),
                    ('followup.scheduled', 'Follow-up scheduled'),
                    ('followup.sent', 'Follow-up sent with a coupon'),
                    ('followup.cancelled', 'Follow-up cancelled'),
                    ('followup.refused', 'Follow-up refused'),
                    ('followup.failed', 'Follow-up failed'),
                    ('coupon.issued', 'Coupon issued'),
                    ('quality.case_added', 'Added to quality review'),
                    ('quality.sample_drawn', 'Quality review sample drawn'),
                    ('quality.reviewed', 'Quality review saved'),
                    ('quality.acknowledged', 'Quality review acknowledged'),
                    ('quality.disputed', 'Quality review disputed'),
                    ('quality.dispute_resolved', 'Quality review dispute decided'),
                    ('quality.phrase_warned', 'Reply sent with a warned phrase'),
                ],
                max_length=40,
                verbose_name="event",
            ),
        ),
    ]
