"""The review queue reads a page without sorting every Pending version: it walks them in age
order (version_queue_order_idx), finds the overdue ones by when they became Pending
(version_pending_since_idx), and asks per row whether a newer version of its model was
approved (version_model_status_idx)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("approvals", "0021_sync_page_events")]

    operations = [
        migrations.AddIndex(
            model_name="modelversion",
            index=models.Index(
                fields=["approval_status", "gone", "gmt_create_time", "id"], name="version_queue_order_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="modelversion",
            index=models.Index(fields=["approval_status", "gone", "pending_since"], name="version_pending_since_idx"),
        ),
        migrations.AddIndex(
            model_name="modelversion",
            index=models.Index(fields=["model", "approval_status", "gmt_create_time"], name="version_model_status_idx"),
        ),
    ]
