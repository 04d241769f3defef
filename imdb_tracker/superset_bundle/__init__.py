"""The Superset dashboards kept as code (an export bundle); ``superset/bundle`` links here."""
