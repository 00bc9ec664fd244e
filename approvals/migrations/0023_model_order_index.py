"""A model's versions newest first come in order from version_model_order_idx (model,
gmt_create_time, id), which replaces version_model_created_idx (model, gmt_create_time): without
the id, which breaks ties, PostgreSQL walked the whole table's creation order (version_created_idx)
and filtered by model, reading every newer version of every other model first."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("approvals", "0022_queue_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="modelversion",
            index=models.Index(fields=["model", "gmt_create_time", "id"], name="version_model_order_idx"),
        ),
        migrations.RemoveIndex(model_name="modelversion", name="version_model_created_idx"),
    ]
