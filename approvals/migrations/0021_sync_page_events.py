"""A sync audits the versions it creates with one event per page of models, and tells people
once per model of it: a notification names the model when its event names several."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("approvals", "0020_version_search")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="model_id",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
        migrations.RemoveConstraint(model_name="notification", name="one_notification_per_event"),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("user", "event", "model_id"), name="one_notification_per_event_model"
            ),
        ),
    ]
