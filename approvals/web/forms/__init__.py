"""Django forms: query-string filters, the edit form, the decision and conflict forms, tokens."""
