"""PostgreSQL storage: server resolution, schema, migrations and queries. Knows nothing of Dagster."""
