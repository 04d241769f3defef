"""The Superset dashboards kept as code (an export bundle), installed as package data of its own
package ``imdb_tracker_dashboards``."""
