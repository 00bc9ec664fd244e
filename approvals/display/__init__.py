"""Pure functions that shape what people read: metrics, charts, diffs, labels, JSON text.

No ORM: they take rows a selector fetched and return plain values for templates."""
