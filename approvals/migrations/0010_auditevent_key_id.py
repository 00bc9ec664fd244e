"""Each audit event names the HMAC key its hash was made with.

Events already in the log were hashed with plain SHA-256 before the chain was
keyed: they get key id "" and are verified that way (approvals/services/audit.py).
Adding a column with a default fires no row trigger, so the append-only trigger
stays in place.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0009_memberships_policies_pinned_approvals"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
    ]
