"""The API's views, one module per resource: versions, models, audit, workspaces."""
