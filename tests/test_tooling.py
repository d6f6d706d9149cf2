"""Lint, types and the public API are part of the suite, so CI keeps them clean."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import runlytics

ROOT = Path(__file__).parent.parent
# Importing ``__main__`` would run the command.
NOT_IMPORTED = {"runlytics.__main__"}


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "."],
    [sys.executable, "-m", "mypy"],
], ids=["ruff", "mypy"])
def test_tool_passes(command):
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def module_names() -> list[str]:
    """The package and every module and sub-package under it, whatever exists today."""
    found = [info.name for info in pkgutil.walk_packages(runlytics.__path__, "runlytics.")]
    return ["runlytics"] + sorted(set(found) - NOT_IMPORTED)


def _is_ours(name: str) -> bool:
    return name == "runlytics" or name.startswith("runlytics.")


def sort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 "isort-style" order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def api_problems(module: types.ModuleType) -> list[str]:
    """What is wrong with ``module.__all__``: each problem as one line (none: [])."""
    exported = getattr(module, "__all__", None)
    if exported is None:
        return []
    where = module.__name__
    problems = []
    if list(exported) != sorted(exported, key=sort_key):
        problems.append(f"{where}.__all__ is not sorted (CONSTANTS, Classes, functions)")
    duplicates = sorted({name for name in exported if list(exported).count(name) > 1})
    if duplicates:
        problems.append(f"{where}.__all__ lists {', '.join(duplicates)} more than once")
    for name in exported:
        try:
            value = getattr(module, name)
        except AttributeError:
            problems.append(f"{where}.{name} is in __all__ but does not exist")
            continue
        if isinstance(value, types.ModuleType):
            if not _is_ours(value.__name__):
                problems.append(f"{where}.{name} is the module {value.__name__}")
        elif inspect.isclass(value) or inspect.isroutine(value):
            home = getattr(value, "__module__", None) or ""
            if not _is_ours(home):
                problems.append(f"{where}.{name} is {home}.{value.__qualname__}, not "
                                "defined in runlytics")
    return problems


@pytest.mark.parametrize("name", module_names())
def test_every_exported_name_resolves_to_an_object_of_the_package(name):
    # filterwarnings=error: a deprecated alias listed in __all__ fails here too
    problems = api_problems(importlib.import_module(name))
    assert problems == [], "\n".join(problems)


def test_every_package_states_its_api():
    packages = [name for name in module_names()
                if hasattr(importlib.import_module(name), "__path__")]
    assert "runlytics" in packages and len(packages) > 1
    assert [p for p in packages if not hasattr(importlib.import_module(p), "__all__")] == []


def test_the_check_finds_a_broken_all():
    broken = types.ModuleType("runlytics.broken")
    broken.read = lambda: None
    broken.read.__module__ = "runlytics.broken"
    broken.Path, broken.sys = Path, sys  # imported, not defined in runlytics
    broken.__all__ = ["read", "Path", "missing", "read", "sys"]
    assert api_problems(broken) == [
        "runlytics.broken.__all__ is not sorted (CONSTANTS, Classes, functions)",
        "runlytics.broken.__all__ lists read more than once",
        "runlytics.broken.Path is pathlib.Path, not defined in runlytics",
        "runlytics.broken.missing is in __all__ but does not exist",
        "runlytics.broken.sys is the module sys",
    ]
    broken.Reader, broken.ZONE = type("Reader", (), {"__module__": "runlytics.broken"}), 3
    broken.__all__ = ["ZONE", "Reader", "read"]
    assert api_problems(broken) == []
    broken.__all__ = ["Reader", "ZONE", "read"]  # plain sorted(), not the package's order
    assert api_problems(broken) == [
        "runlytics.broken.__all__ is not sorted (CONSTANTS, Classes, functions)"]


def test_the_root_loads_each_name_on_first_use():
    for name in runlytics.__all__:
        value = runlytics.__getattr__(name)  # the lazy path, even when already cached
        home = importlib.import_module(value.__module__)
        assert getattr(home, name) is value is getattr(runlytics, name)
    with pytest.raises(AttributeError) as caught:
        runlytics.__getattr__("fetch_everything")
    assert str(caught.value) == "module 'runlytics' has no attribute 'fetch_everything'"
    with pytest.raises(AttributeError):
        _ = runlytics.fetch_everything


def test_the_root_lists_every_name_it_can_load():
    public = {name for name in dir(runlytics) if not name.startswith("_")}
    modules = {name for name in public if isinstance(getattr(runlytics, name), types.ModuleType)}
    assert public - modules - {"annotations"} == set(runlytics.__all__)

