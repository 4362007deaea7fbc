"""The one-command set-up: Python check, conda or venv, CPU torch, idempotence."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.tools import bootstrap


@pytest.fixture
def fake_repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("pyproject.toml", "environment.yml"):
        (root / name).write_text((bootstrap.ROOT / name).read_text())
    return root


def test_old_python_is_refused_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(bootstrap.SetupError) as info:
        bootstrap.check_python((3, 9, 7))
    assert "Python 3.9.7" in str(info.value) and ">= 3.10" in str(info.value) and "Fix:" in str(info.value)
    bootstrap.check_python((3, 10, 0))


def test_old_python_with_conda_installed_is_told_to_activate_it(monkeypatch, tmp_path):
    """After `conda config --set auto_activate false`, a Mac's new terminal finds Apple's Python 3.9 first: the
    fix is `conda activate`, not installing Miniforge again (reader r0002, finding 9)."""
    monkeypatch.delenv("CONDA_EXE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "miniforge3").mkdir()
    with pytest.raises(bootstrap.SetupError) as info:
        bootstrap.check_python((3, 9, 6))
    assert "conda activate" in str(info.value) and "Fix:" in str(info.value) and "install a newer" not in str(info.value)
    conda = tmp_path / "elsewhere" / "conda"
    conda.parent.mkdir()
    conda.write_text("")
    monkeypatch.setenv("CONDA_EXE", str(conda))
    (tmp_path / "miniforge3").rmdir()
    with pytest.raises(bootstrap.SetupError, match="conda activate"):
        bootstrap.check_python((3, 9, 6))


def test_old_python_cli_message_not_traceback():
    code = ("import sys; from course_utils.tools import bootstrap\n"
            "bootstrap.check_python.__defaults__ = ((3, 8, 0),)\n"
            "raise SystemExit(bootstrap.run_in_environment('test', []))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "[setup] FAILED" in out.stderr and "Traceback" not in out.stderr


def test_venv_plan_without_gpu_installs_cpu_torch_first(fake_repo, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "index_reachable", lambda url, timeout=5.0: True)
    monkeypatch.setattr(bootstrap.platform, "system", lambda: "Linux")
    plan = bootstrap.make_plan(fake_repo, gpu=False)
    assert plan.kind == "venv" and plan.prefix == fake_repo / ".venv"
    commands = [" ".join(step) for step in plan.steps]
    assert "-m venv" in commands[0]
    # torch alone (no dependencies), from the CPU index only: no package is looked up on two indexes, and
    # torch's dependencies come with everything else from the learner's configured index
    assert bootstrap.TORCH_CPU_SPEC in commands[1] and "--no-deps --index-url https://download.pytorch.org/whl/cpu" in commands[1]
    assert "--extra-index-url" not in commands[1]
    assert commands[2].endswith(f"install -e {fake_repo}[dev]")
    assert "CPU build of torch" in plan.reason


def test_unreachable_cpu_index_is_skipped_quickly_and_said(monkeypatch):
    """A dead index costs one short probe, not five pip retries per package."""
    import socket
    import time

    with socket.socket() as closed:  # a loopback port with nothing listening: refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("COURSE_TORCH_CPU_INDEX", f"http://127.0.0.1:{port}/whl/cpu")
    said = []
    start = time.perf_counter()
    steps = bootstrap.torch_steps("python", gpu=False, say=said.append, system="Linux")
    assert time.perf_counter() - start < 5
    assert "--index-url" not in steps[0] and bootstrap.TORCH_CPU_SPEC in steps[0]
    assert "does not answer" in said[0] and "COURSE_TORCH_CPU_INDEX" in said[0]


def test_cpu_index_probe_answers_for_a_live_server():
    import http.server
    import threading

    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert bootstrap.index_reachable(f"http://127.0.0.1:{server.server_port}/no-such-page", timeout=5)
    finally:
        server.shutdown()


def test_venv_plan_with_gpu_leaves_torch_to_the_default_wheels(fake_repo, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    plan = bootstrap.make_plan(fake_repo, gpu=True)
    assert not any("whl/cpu" in " ".join(step) for step in plan.steps)


def test_second_run_skips_everything(fake_repo, monkeypatch):
    monkeypatch.setenv("COURSE_USE_VENV", "1")
    monkeypatch.setattr(bootstrap, "missing_modules", lambda python, modules=(): [])  # the stand-in python imports all
    python = bootstrap.env_python(fake_repo / ".venv")
    python.parent.mkdir(parents=True)
    python.write_text("")
    (fake_repo / ".venv" / bootstrap.STAMP_NAME).write_text(json.dumps({"hash": bootstrap.setup_hash(fake_repo)}))
    plan = bootstrap.make_plan(fake_repo, gpu=False)
    assert plan.steps == [] and "up to date" in plan.reason
    (fake_repo / "pyproject.toml").write_text((fake_repo / "pyproject.toml").read_text() + "\n# changed\n")
    assert bootstrap.make_plan(fake_repo, gpu=False).steps, "a changed pyproject must trigger an install"


def _fake_conda(tmp_path: Path, envs: list[str]) -> Path:
    script = tmp_path / "conda"
    info = {"envs_dirs": [str(tmp_path / "envs")]}
    script.write_text(
        "#!/bin/sh\n"
        f"if [ \"$2\" = list ]; then echo '{json.dumps({'envs': envs})}'; else echo '{json.dumps(info)}'; fi\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a shell script")
def test_conda_is_used_where_it_exists(fake_repo, tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_USE_VENV", raising=False)
    monkeypatch.setenv("CONDA_EXE", str(_fake_conda(tmp_path, [])))
    plan = bootstrap.make_plan(fake_repo, gpu=False)
    assert plan.kind == "conda"
    assert plan.steps[0][1:4] == ["env", "create", "--file"] and plan.prefix == tmp_path / "envs" / "zero-to-finetune"


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a shell script")
def test_existing_conda_env_is_updated_then_skipped(fake_repo, tmp_path, monkeypatch):
    prefix = tmp_path / "envs" / "zero-to-finetune"
    monkeypatch.setattr(bootstrap, "missing_modules", lambda python, modules=(): [])
    monkeypatch.setenv("CONDA_EXE", str(_fake_conda(tmp_path, [str(prefix)])))
    monkeypatch.delenv("COURSE_USE_VENV", raising=False)
    plan = bootstrap.make_plan(fake_repo, gpu=False)
    assert plan.steps[0][1:3] == ["env", "update"] and "--prune" in plan.steps[0]
    bootstrap.env_python(prefix).parent.mkdir(parents=True)
    bootstrap.env_python(prefix).write_text("")
    (prefix / bootstrap.STAMP_NAME).write_text(json.dumps({"hash": bootstrap.setup_hash(fake_repo)}))
    assert bootstrap.make_plan(fake_repo, gpu=False).steps == []


@pytest.mark.skipif(os.name == "nt", reason="the fake conda is a shell script")
def test_conda_installed_after_a_venv_keeps_the_venv_and_says_so(fake_repo, tmp_path, monkeypatch):
    """Miniforge installed after a first .venv set-up once built a second, several-GB environment silently."""
    monkeypatch.delenv("COURSE_USE_VENV", raising=False)
    monkeypatch.delenv("COURSE_USE_CONDA", raising=False)
    monkeypatch.setenv("CONDA_EXE", str(_fake_conda(tmp_path, [])))
    bootstrap.env_python(fake_repo / ".venv").parent.mkdir(parents=True)
    bootstrap.env_python(fake_repo / ".venv").write_text("")
    plan = bootstrap.make_plan(fake_repo, gpu=True)
    assert plan.kind == "venv" and "conda is installed now, but .venv from an earlier set-up is kept" in plan.reason
    assert not any("conda" in Path(step[0]).name for step in plan.steps)
    monkeypatch.setenv("COURSE_USE_CONDA", "1")
    assert bootstrap.make_plan(fake_repo, gpu=True).kind == "conda"


def test_env_name_comes_from_environment_yml(fake_repo):
    assert bootstrap.env_name(fake_repo) == "zero-to-finetune"
    (fake_repo / "environment.yml").write_text("channels: [conda-forge]\n")
    with pytest.raises(bootstrap.SetupError, match="no `name:`"):
        bootstrap.env_name(fake_repo)


def test_bootstrap_uses_the_standard_library_only():
    """Set-up runs on a bare Python: bootstrap, and the course modules it imports, load with no
    site-packages at all (``-S``), and nothing outside the standard library is imported."""
    root = Path(bootstrap.__file__).resolve().parents[2]
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import course_utils.tools.bootstrap, course_utils.net; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names and m != '__main__')))")
    out = subprocess.run([sys.executable, "-S", "-E", "-c", code, str(root)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == {"course_utils", "course_utils.tools", "course_utils.tools.bootstrap",
                                       "course_utils.system", "course_utils.net", "course_utils.errors"}


def test_ci_runs_the_readme_test_command_first():
    root = bootstrap.ROOT
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    command = "python3 -m course_utils test"
    assert command in readme.split("\n## ")[0], "the README must open with the test command"
    # then the lanes: tests/test_workflow.py
    assert [line for line in ci.splitlines() if line and not line.startswith("#") and not line.startswith("set ")][0] == command


@pytest.mark.skipif(os.name == "nt", reason="apt-get, root and executable scripts on PATH are POSIX things")
def test_chromium_found_or_installed_or_skipped_never_fails(monkeypatch, tmp_path):
    from course_utils.tools import bootstrap

    said: list[str] = []
    monkeypatch.setenv("COURSE_CHROMIUM", "/somewhere/chrome")
    assert bootstrap.ensure_chromium(said.append) is True and said == []

    monkeypatch.delenv("COURSE_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH: no Chromium, no apt-get
    ran: list = []
    monkeypatch.setattr(bootstrap.subprocess, "run", lambda *a, **k: ran.append(a))
    assert bootstrap.ensure_chromium(said.append) is False
    assert ran == [] and "real-browser test will skip" in said[0] and "apt-get install chromium" in said[0]

    apt = tmp_path / "apt-get"  # an apt-get that fails: the update-and-retry path, then a skip
    apt.write_text("#!/bin/sh\nexit 100\n")
    apt.chmod(0o755)
    monkeypatch.setattr(bootstrap.subprocess, "run", lambda step, **k: ran.append(step) or subprocess.CompletedProcess(step, 100))
    monkeypatch.setattr(bootstrap.os, "geteuid", lambda: 0, raising=False)
    said.clear()
    assert bootstrap.ensure_chromium(said.append) is False
    assert [step[1] for step in ran] == ["install", "update"], "install, then update before retrying"
    assert said[-1] == "could not install Chromium, so the real-browser test will skip"
    monkeypatch.setenv("COURSE_NO_BROWSER_INSTALL", "1")
    ran.clear()
    assert bootstrap.ensure_chromium(said.append) is False and ran == []


def test_floor_pins_pin_every_floor(fake_repo):
    """The lowest-versions job installs exactly these: every `>=` floor of pyproject's dependencies."""
    pins = bootstrap.floor_pins(fake_repo)
    assert "transformers==5.2" in pins and "torch==2.4" in pins
    project = (fake_repo / "pyproject.toml").read_text().split("[project]\n")[1].split("[project.optional-dependencies]")[0]
    assert len(pins) == project.count(">=") - 1  # all but requires-python


def test_lowest_steps_install_the_floors_with_uv_constraints(fake_repo):
    prefix, steps = bootstrap.lowest_steps(fake_repo)
    assert prefix.name == ".venv-lowest"
    uv = steps[-1]
    assert uv[uv.index("--constraint") + 1] == str(prefix / "floors.txt") and uv[-1] == f"{fake_repo}[dev]"


def test_the_default_tier_leaves_out_the_end_to_end_tests_and_the_flags_choose_the_others(monkeypatch, fake_repo, capsys):
    plan = bootstrap.Plan("venv", fake_repo / ".venv")
    monkeypatch.setattr(bootstrap, "ensure_environment", lambda root: plan)
    ran: list = []
    monkeypatch.setattr(bootstrap, "ensure_chromium", lambda say: ran.append("chromium"))
    monkeypatch.setattr(bootstrap.subprocess, "run", lambda command, **k: ran.append(command) or subprocess.CompletedProcess(command, 0))
    pytest_ = [str(plan.python), "-m", "pytest"]
    assert bootstrap.run_in_environment("test", ["-x"], fake_repo) == 0
    assert ran == [[*pytest_, "-m", "not full", "-x"]], "the default tier: no Chromium, no end-to-end tests"
    ran.clear()
    assert bootstrap.run_in_environment("test", ["--e2e"], fake_repo) == 0
    assert ran == ["chromium", [*pytest_, "-m", "full"]], "the end-to-end tier, with the browser it needs"
    ran.clear()
    assert bootstrap.run_in_environment("test", ["--all", "tests/test_kit.py"], fake_repo) == 0
    assert ran == ["chromium", [*pytest_, "tests/test_kit.py"]], "both tiers"
    ran.clear()
    assert bootstrap.run_in_environment("test", ["--e2e", "--all"], fake_repo) == 2 and ran == []
    assert "name two tiers" in capsys.readouterr().err
