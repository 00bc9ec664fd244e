"""A sync keeps when it last listed a model's versions on the model, not on every version row."""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def backfill(apps, schema_editor):
    RegisteredModel = apps.get_model("approvals", "RegisteredModel")
    ModelVersion = apps.get_model("approvals", "ModelVersion")
    newest = (
        ModelVersion.objects.filter(model=OuterRef("pk"), gone=False)
        .values("model")
        .annotate(seen=Max("last_seen_at"))
        .values("seen")
    )
    RegisteredModel.objects.update(versions_seen_at=Subquery(newest))


class Migration(migrations.Migration):
    dependencies = [("approvals", "0018_notification_kind_sync_failed")]

    operations = [
        migrations.AddField(
            model_name="registeredmodel",
            name="versions_seen_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RenameField(model_name="modelversion", old_name="synced_at", new_name="last_seen_at"),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
