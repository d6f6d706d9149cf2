"""The README stays true: its column table, its quick start and its CLI session."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from runlytics.schema import column_reference

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block_after(marker: str, fence: str) -> str:
    start = README.index(marker)
    body = README.index(f"```{fence}\n", start) + len(fence) + 4
    return README[body:README.index("```", body)]


def test_column_reference_is_generated_from_the_schema():
    start = README.index("<!-- columns:start -->\n") + len("<!-- columns:start -->\n")
    assert README[start:README.index("<!-- columns:end -->")] == column_reference()


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    commands = [line for line in block_after("## Quick start", "sh").splitlines() if line]
    assert commands == ["pip install -e '.[test]' && runlytics demo", "python -m pytest -q"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().splitlines()[-1] == commands[1]
    assert "pip install" in ci and "-e '.[test]'" in ci


def test_quick_start_demo_runs(tmp_path):
    demo = block_after("## Quick start", "sh").splitlines()[0].split("&&")[1].strip()
    done = subprocess.run([sys.executable, "-m", "runlytics", *shlex.split(demo)[1:],
                           "--runs", "3000"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240, env={**os.environ, "SKYVERN_API_KEY": ""})
    assert done.returncode == 0, done.stderr
    out = tmp_path / "runlytics-demo"
    for name in ("report.html", "report.md", "summary.json", "runs.parquet"):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / "report_files").glob("*.png"))) == 6
    assert "success rate" in done.stdout and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pattern(line: str) -> str:
    """An output line as a regex: numbers (counts, times) may differ from run to run."""
    return "".join(r"[\d,.]+" if part and part[0].isdigit() else re.escape(part)
                   for part in re.split(r"(\d[\d,.]*)", line))


def test_readme_session_against_the_simulator(tmp_path):
    port = str(_free_port())
    session = block_after("<!-- readme-test: simulator -->", "console").replace("8765", port)
    steps: list[tuple[str, list[str]]] = []
    for line in session.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line:
            steps[-1][1].append(line)
    script = ["set -u"]
    for i, (command, _) in enumerate(steps):
        if command.endswith("&"):  # a server: its output would mix with the next step's
            command = command[:-1].rstrip() + f" > server-{i}.log 2>&1 &"
        script += [f"echo '@@step {i}'", command + " 2>&1", "echo \"@@rc $?\""]
        if command.endswith("&"):
            script.append("sleep 1")
    script.append("kill %1 2>/dev/null; wait 2>/dev/null; true")
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    outputs = re.split(r"^@@step \d+\n", done.stdout, flags=re.M)[1:]
    assert len(outputs) == len(steps), done.stdout + done.stderr
    for (command, expected), output in zip(steps, outputs, strict=True):
        body, rc = output.rsplit("@@rc ", 1)
        shown = "\n".join(expected)
        want = 3 if "threshold broke" in shown else 2 if "runlytics: error:" in shown else 0
        assert int(rc) == want, f"{command}\n{body}"
        for line in expected:
            assert re.search(_pattern(line), body), f"{command}: no line like {line!r} in\n{body}"
        assert "Traceback" not in body
    assert (tmp_path / "weekly.html").exists() and (tmp_path / "runs-dataset").is_dir()


@pytest.mark.parametrize("command", ["demo", "fetch", "simulate", "sync", "report"])
def test_every_command_has_help_and_a_readme_mention(command):
    done = subprocess.run([sys.executable, "-m", "runlytics", command, "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "usage: runlytics " + command in done.stdout
    assert f"runlytics {command}" in README


def test_readme_python_snippet_runs(monkeypatch):
    """The "In Python" example, against the simulator (its env vars point there)."""
    import warnings

    import matplotlib

    from runlytics import UnknownValueWarning
    from runlytics.simulator import Simulator, serve

    matplotlib.use("Agg")
    code = block_after("<!-- readme-test: python -->", "python")
    sim = Simulator(n_runs=3_000, seed=7)
    with serve(sim) as url:
        monkeypatch.setenv("SKYVERN_BASE_URL", url)
        monkeypatch.setenv("SKYVERN_API_KEY", sim.api_key)
        namespace: dict = {}
        with warnings.catch_warnings():  # the simulator sends values this version does not know
            warnings.simplefilter("ignore", UnknownValueWarning)
            exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    assert len(namespace["runs"]) == namespace["fetched"].report.runs > 0
    assert set(namespace["runs"]["status"]) <= {"failed", "timed_out"}
    assert namespace["frame"].empty
