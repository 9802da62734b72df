"""The repository keeps the shape the design card asks for."""

from __future__ import annotations

import subprocess
import sys

import yaml

from support.services import REPO_ROOT

TOP_LEVEL = ["platform", "connectors", "marketplace", "tenants", "rxconfig.py",
             "docker-compose.yml", "pyproject.toml", "tests", "load", "README.md",
             "Makefile", ".ci/run"]  # fmt: skip


def test_top_level_layout_exists() -> None:
    missing = [name for name in TOP_LEVEL if not (REPO_ROOT / name).exists()]
    assert missing == []


def test_nothing_shadows_the_standard_library_platform_module() -> None:
    """`import platform` from the repo root (and from inside platform/) must be the stdlib's."""
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()
    for cwd in (REPO_ROOT, REPO_ROOT / "platform", REPO_ROOT / "tests"):
        out = subprocess.run(
            [sys.executable, "-c", "import platform, sys; print(platform.__file__); "
             "print(platform.python_implementation())"],
            cwd=cwd, capture_output=True, text=True, check=True,
        )  # fmt: skip
        location = out.stdout.splitlines()[0]
        assert not location.startswith(str(REPO_ROOT)), f"{cwd}: platform is {location}"
        assert out.stdout.splitlines()[1] == "CPython"
    stray = [p for p in REPO_ROOT.rglob("platform.py") if ".venv" not in p.parts
             and "node_modules" not in p.parts and ".web" not in p.parts]  # fmt: skip
    assert stray == []


def test_core_package_lives_in_platform_folder() -> None:
    import flowyard

    assert flowyard.__file__.startswith(str(REPO_ROOT / "platform" / "flowyard"))


def test_docker_compose_names_the_production_like_stack() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "scheduler"} <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in ("web", "worker", "scheduler"):
        env = services[name].get("environment", {})
        assert "DATABASE_URL" in env and "REDIS_URL" in env


def test_rxconfig_points_reflex_at_the_core_package() -> None:
    text = (REPO_ROOT / "rxconfig.py").read_text()
    assert 'app_module_import="flowyard.web.app"' in text.replace("'", '"')


def test_ci_runs_make_test() -> None:
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
