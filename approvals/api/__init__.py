"""The REST API (/api/): DRF views by resource over the same services and selectors as the pages."""
