"""The docker-compose deployment: valid, healthchecked, no hard-coded secret, ports on loopback only.

Validation uses Debian's ``docker-compose`` (``config`` needs no Docker engine). It is skipped when
the program is missing on a developer machine, and fails in CI (``CI`` set) where it must be installed.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from imdb_tracker.settings import Settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_TEMPLATE = REPO / ".env.template"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY|TOKEN")
URL_PASSWORD = re.compile(r"://[^/@\s]*?:([^@\s]*)@")
REFERENCE = re.compile(r"\$\{(\w+)(:?[-?][^}]*)?\}")
PLACEHOLDER = "change-me"


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def strings_in(node: object) -> list[str]:
    """Every string value in a parsed YAML document."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings_in(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings_in(value)]
    return [node] if isinstance(node, str) else []


def template_values() -> dict[str, str]:
    """``NAME=value`` lines of .env.template (active ones only)."""
    values = {}
    for line in ENV_TEMPLATE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def env_names(settings_cls: type[Settings]) -> dict[str, str]:
    """``{ENV_NAME: field}`` of every setting."""
    names = {}
    for field_name, field in settings_cls.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if alias is not None and hasattr(alias, "choices") else field_name.upper()
        names[str(env)] = field_name
    return names


def docker_compose(*args: str, env_file: Path) -> subprocess.CompletedProcess:
    """``docker-compose --env-file ENV -f docker-compose.yml ARGS`` (more ``-f`` files may lead ARGS)."""
    program = shutil.which("docker-compose")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed: apt-get install -y docker-compose")
        pytest.skip("docker-compose is not installed (apt-get install -y docker-compose)")
    clean_env = {"PATH": os.environ["PATH"], "HOME": str(env_file.parent)}  # no variable leaks in
    return subprocess.run(
        [program, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=REPO,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_validates_with_env_built_from_template(tmp_path):
    env_file = tmp_path / ".env"
    shutil.copyfile(ENV_TEMPLATE, env_file)
    checked = docker_compose("config", "-q", env_file=env_file)
    assert checked.returncode == 0, checked.stderr

    resolved = yaml.safe_load(docker_compose("config", env_file=env_file).stdout)
    pipeline = resolved["services"]["user-code"]["environment"]
    assert pipeline["DB_HOST"] == "postgres" and pipeline["DB_PASSWORD"] == PLACEHOLDER
    assert not any("DAGSTER_PG" in name for name in pipeline)  # Dagster's storage follows DB_*
    assert pipeline["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert resolved["services"]["minio"]["environment"]["MINIO_ROOT_PASSWORD"] == PLACEHOLDER


def test_a_missing_secret_stops_compose_naming_it(tmp_path):
    env_file = tmp_path / ".env"
    lines = [
        line for line in ENV_TEMPLATE.read_text().splitlines() if not line.startswith("SUPERSET_SECRET_KEY=")
    ]
    env_file.write_text("\n".join(lines) + "\n")
    checked = docker_compose("config", "-q", env_file=env_file)
    assert checked.returncode != 0
    assert "SUPERSET_SECRET_KEY" in checked.stderr


def test_every_service_is_healthchecked_or_a_one_shot_awaited_to_completion():
    services = compose()["services"]
    awaited: dict[str, set[str]] = {name: set() for name in services}
    for service in services.values():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), "depends_on must name a condition for every dependency"
        for dependency, spec in depends_on.items():
            awaited[dependency].add(spec["condition"])
    one_shots = {name for name, service in services.items() if "healthcheck" not in service}
    assert one_shots == {"migrate", "minio-init", "superset-provision", "ready"}
    for name in one_shots:
        assert "restart" not in services[name], f"{name} is a one-shot and must not restart"
        assert awaited[name] <= {"service_completed_successfully"}, name
        assert services[name]["depends_on"], f"{name} must wait for what it works on"
    assert awaited["migrate"] == awaited["minio-init"] == {"service_completed_successfully"}
    # `up -d` waits for `ready`, which waits for the provisioning: its failure fails `up`.
    assert awaited["superset-provision"] == {"service_completed_successfully"}
    assert set(services["ready"]["depends_on"]) >= {
        "superset-provision",
        "dagster-webserver",
        "dagster-daemon",
    }
    for name in set(services) - one_shots:
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped", name
        assert awaited[name] <= {"service_healthy"}, f"{name} is awaited as {awaited[name]}"


def test_no_secret_is_hard_coded():
    services = compose()["services"]
    checked = 0
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRET_NAME.search(key):
                assert REFERENCE.fullmatch(value), f"{name}: {key} must be a ${{…}} reference, not {value!r}"
                assert ":-" not in value or value.endswith(":-}"), f"{name}: {key} has a default value"
                checked += 1
            for password in URL_PASSWORD.findall(REFERENCE.sub("REF", value)):
                assert password == "REF", f"{name}: {key} embeds a literal password"
                checked += 1
    assert checked >= 10  # the check really ran over the secrets

    # Every variable compose requires (`${VAR:?}`) is in the template, so `cp .env.template .env` works.
    required = {
        m.group(1)
        for text in strings_in(compose())
        for m in REFERENCE.finditer(text)
        if (m.group(2) or "")[:2] == ":?"
    }
    assert required <= set(template_values())


def test_published_ports_are_bound_to_loopback():
    published = [
        (name, port) for name, service in compose()["services"].items() for port in service.get("ports", [])
    ]
    assert {name for name, _ in published} == {"dagster-webserver", "superset", "minio"}
    for name, port in published:
        assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_code_server_and_workspace_agree():
    services = compose()["services"]
    grpc = services["user-code"]["command"]
    assert grpc[:3] == ["dagster", "api", "grpc"]
    assert grpc[grpc.index("-m") + 1] == "imdb_tracker.definitions"
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.docker.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    assert (server["host"], str(server["port"])) == ("user-code", grpc[grpc.index("-p") + 1])

    # The workspace file the webserver and daemon load is the one the image copies from deploy/.
    dockerfile = (REPO / "Dockerfile").read_text()
    copied_to = re.search(r"^COPY deploy/workspace\.docker\.yaml (\S+)$", dockerfile, re.M).group(1)
    for name in ("dagster-webserver", "dagster-daemon"):
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == copied_to, name
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim", dockerfile, re.M)
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, re.M)
    assert re.search(r"apt-get install[^\n]*\\\n\s+chromium\b", dockerfile)


def test_env_template_lists_every_setting_with_safe_values():
    text = ENV_TEMPLATE.read_text()
    mentioned = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.M))
    missing = set(env_names(Settings)) - mentioned
    assert not missing, f".env.template lacks {sorted(missing)}"

    secret_fields = {
        env
        for env, field in env_names(Settings).items()
        if Settings.model_fields[field].annotation == SecretStr | None
    }
    assert {"DB_PASSWORD", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "SUPERSET_SECRET_KEY"} <= secret_fields
    for name, value in template_values().items():
        if name in secret_fields or SECRET_NAME.search(name):
            assert value in ("", PLACEHOLDER), f"{name} has a real-looking value in the template"


def test_env_template_as_is_runs_locally_on_the_embedded_database(tmp_path):
    settings = Settings(_env_file=ENV_TEMPLATE)
    assert settings.uses_embedded_database
    assert settings.s3_bucket is None
    assert settings.db_password is not None and settings.db_password.get_secret_value() == PLACEHOLDER


DOCKER_RUNS_OVERLAY = REPO / "deploy" / "docker-run-launcher.yml"
CI_OVERRIDE = REPO / "deploy" / "ci" / "docker-compose.ci.yml"


def test_the_docker_runs_instance_is_dagster_yaml_plus_the_docker_run_launcher():
    plain = yaml.safe_load((REPO / "imdb_tracker" / "dagster.yaml").read_text())
    docker_runs = yaml.safe_load((REPO / "deploy" / "dagster-docker-runs.yaml").read_text())
    launcher = docker_runs.pop("run_launcher")
    assert docker_runs == plain
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    config = launcher["config"]
    assert config["image"] == compose()["x-pipeline-image"]["image"]
    assert config["network"] == compose()["networks"]["default"]["name"]
    # Every pipeline variable reaches the run containers, and each is set in the daemon's environment
    # (DockerRunLauncher fails otherwise); DAGSTER_HOME is the image's.
    assert set(config["env_vars"]) == set(compose()["x-pipeline-environment"]) - {"DAGSTER_HOME"}


def test_the_docker_runs_overlay_needs_the_socket_group_and_names_it(tmp_path):
    env_file = tmp_path / ".env"
    shutil.copyfile(ENV_TEMPLATE, env_file)
    missing = docker_compose("-f", str(DOCKER_RUNS_OVERLAY), "config", "-q", env_file=env_file)
    assert missing.returncode != 0 and "DOCKER_GID" in missing.stderr
    with env_file.open("a") as env:
        env.write("DOCKER_GID=999\n")
    resolved = yaml.safe_load(
        docker_compose("-f", str(DOCKER_RUNS_OVERLAY), "config", env_file=env_file).stdout
    )
    for name in ("dagster-daemon", "dagster-webserver"):
        service = resolved["services"][name]
        assert service["environment"]["DAGSTER_HOME"] == "/opt/dagster/docker-runs"
        assert service["group_add"] == ["999"] or service["group_add"] == [999]
        assert any(
            str(v).endswith(":/var/run/docker.sock") or "docker.sock" in str(v) for v in service["volumes"]
        )
    assert "group_add" not in resolved["services"]["user-code"]


def test_ci_override_replaces_every_registry_image_with_a_local_one(tmp_path):
    env_file = tmp_path / ".env"
    shutil.copyfile(ENV_TEMPLATE, env_file)
    with env_file.open("a") as env:
        env.write(f"IMDB_TRACKER_SHARED={tmp_path}\n")
    resolved = yaml.safe_load(docker_compose("-f", str(CI_OVERRIDE), "config", env_file=env_file).stdout)
    images = {name: service["image"] for name, service in resolved["services"].items()}
    local = {"imdb-tracker:local", "imdb-tracker-superset:local"}
    assert all(image in local or image.startswith("imdb-tracker-ci/") for image in images.values()), images
    assert resolved["networks"]["default"] == {
        "name": "imdb-tracker",
        "internal": True,
        "ipam": {"config": [{"subnet": "172.30.117.0/24"}]},
    }


# Settings the compose containers must not take from .env: host paths and host databases (the stack
# has its own PostgreSQL, reached through DB_*, and its own volume), and Superset's secrets, which
# only the superset and superset-provision services receive.
NOT_FOR_THE_PIPELINE = {
    "DATABASE_URL",
    "DAGSTER_DATABASE_URL",
    "BACKUP_DIR",
    "IMDB_STORAGE_STATE",
    "IMDB_TRACKER_SHARED",
    "SUPERSET_READONLY_PASSWORD",
    "SUPERSET_SECRET_KEY",
}
PIPELINE_SERVICES = ("migrate", "user-code", "dagster-webserver", "dagster-daemon", "superset-provision")


def test_every_setting_set_in_env_reaches_every_pipeline_service(tmp_path, monkeypatch):
    """A value in .env arrives unchanged in each pipeline container; one left out stays unset there
    (settings.py ignores empty variables, so its own default applies)."""
    passed_through = sorted(set(env_names(Settings)) - NOT_FOR_THE_PIPELINE)
    assert {"SENTIMENT_MAX_ATTEMPTS", "RECEPTION_WEBHOOK_URL", "RECEPTION_BURST_MIN_RATIO"} <= set(
        passed_through
    )
    fixed_by_compose = {"DB_HOST", "DB_PORT", "S3_ENDPOINT_URL", "SUPERSET_URL", "IMDB_TRACKER_HOME"}
    chosen = {name: f"7{index}" for index, name in enumerate(passed_through) if name not in fixed_by_compose}
    env_file = tmp_path / ".env"
    shutil.copyfile(ENV_TEMPLATE, env_file)
    with env_file.open("a") as env:
        env.writelines(f"{name}={value}\n" for name, value in chosen.items())
        env.writelines(f"{name}=host-only-{name}\n" for name in sorted(NOT_FOR_THE_PIPELINE))
    resolved = yaml.safe_load(docker_compose("config", env_file=env_file).stdout)["services"]
    for service in PIPELINE_SERVICES:
        environment = resolved[service]["environment"]
        missing = {
            name: environment.get(name) for name, value in chosen.items() if environment.get(name) != value
        }
        assert not missing, f"{service} does not receive {sorted(missing)} from .env"
        allowed = {"SUPERSET_READONLY_PASSWORD"} if service == "superset-provision" else set()
        leaked = {n for n in NOT_FOR_THE_PIPELINE - allowed if n in environment}
        assert not leaked, f"{service} receives {sorted(leaked)}"

    # Not set in .env: compose passes an empty value, which settings.py ignores (its default applies).
    untouched = yaml.safe_load(docker_compose("config", env_file=ENV_TEMPLATE).stdout)["services"]
    assert untouched["user-code"]["environment"]["SENTIMENT_MAX_ATTEMPTS"] in ("", None)
    monkeypatch.setenv("SENTIMENT_MAX_ATTEMPTS", "")
    default = Settings.model_fields["sentiment_max_attempts"].default
    assert Settings(_env_file=None).sentiment_max_attempts == default
