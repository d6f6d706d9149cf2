"""The alert state file: what each target was last told, so a breach is posted once.

The file (``--alert-state FILE``) is JSON: ``{"version": 1, "targets":
{fingerprint: {"key": ..., "sent_at": ...}}}``, one entry per target, named
by :attr:`Target.fingerprint` (a hash: the file never holds a webhook URL).

:func:`decide` is the policy; :func:`locked_state` holds an exclusive
``fcntl.flock`` on ``FILE.lock`` from reading to writing, so two reports that
share one file take turns, and :meth:`AlertState.save` writes a temporary file,
fsyncs it and renames it over the old one, so a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._dataset_state import write_atomic
from ..errors import StoreError

__all__ = ["STATE_VERSION", "AlertState", "decide", "locked_state"]

STATE_VERSION = 1
ACTIONS = ("send", "suppress", "resolve", "quiet")


def decide(previous: dict[str, Any] | None, key: str, *, on: str, now: pd.Timestamp,
           renotify_after: pd.Timedelta) -> str:
    """What to do at one target: ``send``, ``suppress``, ``resolve`` or ``quiet``.

    Args:
        previous: the target's entry in the state (``key``, ``sent_at``), or None.
        key: the current breach key (:func:`~runlytics.notify.message.alert_key`);
            empty when nothing broke.
        on: ``breach`` (post breaches, again after ``renotify_after``),
            ``change`` (post only when the key differs from the last one
            posted) or ``always`` (post every report).
        now: the moment of this report.
        renotify_after: how long the same breach stays quiet (``breach``).

    Example:
        >>> now, six = pd.Timestamp("2026-01-15 12:00", tz="UTC"), pd.Timedelta("6h")
        >>> last = {"key": "threshold:stuck_runs>0", "sent_at": "2026-01-15T10:00:00+00:00"}
        >>> decide(last, "threshold:stuck_runs>0", on="breach", now=now, renotify_after=six)
        'suppress'
        >>> decide(last, "", on="breach", now=now, renotify_after=six)
        'resolve'
        >>> decide(None, "", on="breach", now=now, renotify_after=six)
        'quiet'
    """
    last_key = (previous or {}).get("key") or ""
    if not key:
        if last_key:
            return "resolve"
        return "send" if on == "always" else "quiet"
    if on == "always" or key != last_key:
        return "send"
    if on == "change":
        return "suppress"
    sent_at = pd.Timestamp((previous or {}).get("sent_at"))
    return "suppress" if now - sent_at < renotify_after else "send"


@dataclass
class AlertState:
    """The state file's content, and where to write it back.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "alerts.json"
        >>> with locked_state(path) as state:
        ...     state.targets["slack:0123"] = {"key": "k", "sent_at": "2026-01-15T10:00:00+00:00"}
        ...     _ = state.save()
        >>> with locked_state(path) as state:
        ...     state.targets
        {'slack:0123': {'key': 'k', 'sent_at': '2026-01-15T10:00:00+00:00'}}
    """

    path: Path | None
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, fingerprint: str, key: str, now: pd.Timestamp) -> None:
        """Remember that ``key`` was posted (an empty key forgets the target)."""
        if key:
            self.targets[fingerprint] = {"key": key, "sent_at": now.isoformat()}
        else:
            self.targets.pop(fingerprint, None)

    def save(self) -> Path:
        """Write the state atomically (temp file, fsync, rename); returns the path.

        Raises:
            StoreError: the file cannot be written.
        """
        if self.path is None:
            raise StoreError("alert state: no file to write (pass --alert-state FILE)")
        data = {"version": STATE_VERSION, "targets": self.targets}
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        try:
            return write_atomic(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise StoreError(f"alert state {self.path}: cannot write it ({exc.strerror}); "
                             "check --alert-state") from None


@contextlib.contextmanager
def locked_state(path: str | os.PathLike[str]) -> Iterator[AlertState]:
    """The alert state at ``path``, read and held under an exclusive lock until the block ends.

    Raises:
        StoreError: the folder cannot be written, or the file is not a state file.
    """
    state_path = Path(path)
    lock_path = state_path.with_name(state_path.name + ".lock")
    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(lock_path, "a+b")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as exc:
        raise StoreError(f"alert state {state_path}: cannot open its lock file "
                         f"({exc.strerror}); check --alert-state") from None
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield AlertState(state_path, _read(state_path))
    finally:
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        lock.close()


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"alert state {path}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION \
            or not isinstance(data.get("targets"), dict):
        raise StoreError(f"alert state {path} is not a runlytics alert state file "
                         f"(version {STATE_VERSION}); move it away or pass another "
                         "--alert-state")
    targets: dict[str, dict[str, Any]] = data["targets"]
    return targets
