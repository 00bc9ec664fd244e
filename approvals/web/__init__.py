"""The HTML dashboard: urls, views by page, forms, and the helpers they share."""
