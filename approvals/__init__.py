"""The review dashboard's Django app. docs/architecture.md maps its packages."""
