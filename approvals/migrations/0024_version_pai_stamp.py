"""A version keeps what the sync last read of it as PAI sent it (GmtModifiedTime and its Labels), so a
re-sync compares strings instead of parsing each version. Rows from before have none: the first
re-sync after this compares them field by field once and stores it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("approvals", "0023_model_order_index")]

    operations = [
        migrations.AddField(
            model_name="modelversion",
            name="pai_stamp",
            field=models.TextField(blank=True, default="", editable=False),
        ),
    ]
