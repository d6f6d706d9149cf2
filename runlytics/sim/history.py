"""When the runs of a synthetic history were created, and which ones are special.

Creation times follow a daily and weekly rhythm (busy UTC afternoons, quiet
weekends, slow growth over the window); scheduled workflows fire on their cron
minute; ``tie_groups`` batches share one ``created_at`` to the microsecond, as
a bulk insert in one transaction does. The newest runs are placed so that the
history ends with runs still created, queued, running and paused, and a few
older runs are stuck or were timed out by the sweeper. The oldest 5 % are
legacy runs (before mid-2025: no queued/started/finished) and the oldest 8 %
have no ``trigger_type``, as on the real server.

Example:
    >>> import random
    >>> from .workflows import make_workflows
    >>> wfs = make_workflows(random.Random(1), 3, start_us=0, org_id="o_1")
    >>> plan = draw_history(np.random.default_rng(1), wfs, 100, start=0, now=86_400 * US)
    >>> plan.created == sorted(plan.created), plan.n_legacy, plan.n_untriggered
    (True, 5, 8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .attempts import Role
from .fields import US
from .planner import RunFactory
from .runs import Run
from .workflows import Workflow

__all__ = ["ID_BASE", "HistoryPlan", "draw_history", "make_history", "new_run_ids"]

ID_BASE = 602_374_229_000_000_000  # run ids are "wr_" + a number above this

# Relative volume per UTC hour of day and per weekday (Monday first).
_HOUR_WEIGHTS = np.array([0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.45, 0.6, 0.75, 0.85, 0.9, 0.95,
                          1.0, 1.0, 1.0, 0.95, 0.95, 0.9, 0.8, 0.65, 0.55, 0.45, 0.35, 0.3])
_DAY_WEIGHTS = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.4, 0.3])
_NEWEST_ROLES = (Role.CREATED, Role.QUEUED, Role.RUNNING, Role.PAUSED, Role.QUEUED,
                 Role.RUNNING, Role.RUNNING, Role.RUNNING)

KIND_NATURAL, KIND_SCHEDULED, KIND_TIE = 0, 1, 2


@dataclass
class HistoryPlan:
    """Parallel lists, oldest run first: creation instant, workflow, kind, role.

    ``kind`` is ``KIND_NATURAL``, ``KIND_SCHEDULED`` (fired by a cron) or
    ``KIND_TIE`` (one of a batch sharing a created_at); ``role`` a :class:`Role`.
    """

    created: list[int]
    workflow: list[int]
    kind: list[int]
    role: list[int]
    n_legacy: int        # the oldest n_legacy runs carry no queued/started/finished
    n_untriggered: int   # the oldest n_untriggered runs have trigger_type null


def _tie_sizes(rng: np.random.Generator, groups: int, n: int) -> list[int]:
    """Batch sizes from a few to a few hundred, together at most half the runs."""
    if groups <= 0 or n < 4:
        return []
    sizes = np.exp(rng.uniform(math.log(3), math.log(300), size=groups)).round().astype(int)
    budget = n // 2
    if sizes.sum() > budget:
        sizes = np.maximum(2, (sizes * budget / sizes.sum()).astype(int))
    out: list[int] = []
    for s in sizes.tolist():
        if sum(out) + s > budget:
            break
        out.append(s)
    return out


def _draw_times(rng: np.random.Generator, m: int, start: int, now: int) -> np.ndarray:
    """``m`` creation instants in (start, now) following the weekly rhythm."""
    n_hours = max(1, math.ceil((now - start) / (3600 * US)))
    hour_start = now - (n_hours - np.arange(n_hours, dtype=np.int64)) * 3600 * US
    hour_of_day = (hour_start // (3600 * US)) % 24
    weekday = (hour_start // (86_400 * US) + 3) % 7  # 1970-01-01 was a Thursday
    weights = (_HOUR_WEIGHTS[hour_of_day] * _DAY_WEIGHTS[weekday]
               * np.linspace(0.8, 1.2, n_hours))
    bins = rng.choice(n_hours, size=m, p=weights / weights.sum())
    times = hour_start[bins] + rng.integers(0, 3600 * US, size=m)
    clipped: np.ndarray = np.clip(times, start + 1, now - 1)
    return clipped


def draw_history(rng: np.random.Generator, workflows: list[Workflow], n: int, *, start: int,
                 now: int, tie_groups: int = 0) -> HistoryPlan:
    """Draw the creation instants and special roles of ``n`` runs.

    Args:
        rng: seeded numpy generator.
        workflows: the workflows (their weights pick who runs how often).
        n: number of runs.
        start: start of the window, epoch microseconds.
        now: end of the window (the simulator clock).
        tie_groups: number of batches sharing one created_at.

    Returns:
        A :class:`HistoryPlan`, oldest first.

    Example:
        >>> import random
        >>> from .workflows import make_workflows
        >>> wfs = make_workflows(random.Random(1), 2, start_us=0, org_id="o_1")
        >>> plan = draw_history(np.random.default_rng(2), wfs, 60, start=0, now=86_400 * US,
        ...                     tie_groups=1)
        >>> max(plan.created.count(t) for t in plan.created) > 1, KIND_TIE in plan.kind
        (True, True)
    """
    weights = np.array([w.weight for w in workflows])
    weights = weights / weights.sum()
    sizes = _tie_sizes(rng, tie_groups, n)
    n_nat = n - sum(sizes)
    created = _draw_times(rng, n_nat, start, now)
    wf_idx = rng.choice(len(workflows), size=n_nat, p=weights)
    kind = np.zeros(n_nat, dtype=np.int64)
    # Scheduled workflows fire on their cron minute, a second or two late.
    for w in workflows:
        if w.schedule is None:
            continue
        period, offset = w.schedule
        mask = (wf_idx == w.index) & (rng.random(n_nat) < 0.85)
        t = created[mask]
        snapped = (t - offset) // period * period + offset + rng.integers(
            200_000, 2_500_000, size=t.size)
        snapped = np.where(snapped >= now, snapped - period, snapped)
        snapped = np.where(snapped <= start, snapped + period, snapped)
        created[mask] = np.clip(snapped, start + 1, now - 1)
        kind[mask] = KIND_SCHEDULED
    whole = rng.random(n_nat) < 0.03  # stamps written without a fraction
    created[whole] -= created[whole] % US
    if sizes:
        anchors = _draw_times(rng, len(sizes), start, now - 3600 * US)
        anchors[::3] -= anchors[::3] % US
        tie_wf = rng.choice(len(workflows), size=len(sizes), p=weights)
        created = np.concatenate([created, np.repeat(anchors, sizes)])
        wf_idx = np.concatenate([wf_idx, np.repeat(tie_wf, sizes)])
        kind = np.concatenate([kind, np.full(sum(sizes), KIND_TIE)])
    # Batch id of each run: its own (negative) for natural runs, shared in a tie batch.
    group = np.concatenate([-1 - np.arange(n_nat),
                            np.repeat(np.arange(len(sizes)), sizes)]).astype(np.int64)
    role = np.zeros(n, dtype=np.int64)
    _place_newest(rng, created, kind, role, now)
    created, wf_idx, kind, role = _sorted_without_accidental_ties(created, group, wf_idx, kind,
                                                                  role)
    n_legacy = math.ceil(n * 0.05) if n >= 20 else 0
    _place_stuck(rng, created, kind, role, now, n_legacy)
    return HistoryPlan(created.tolist(), wf_idx.tolist(), kind.tolist(), role.tolist(),
                       n_legacy=n_legacy, n_untriggered=math.ceil(n * 0.08) if n >= 20 else 0)


def _sorted_without_accidental_ties(created: np.ndarray, group: np.ndarray,
                                    *cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort by created_at; runs outside a tie batch never share an instant.

    Whole-second rounding and cron snapping can make two runs collide; only
    the requested ``tie_groups`` should, so the order is deterministic without them.
    """
    for _ in range(100):
        order = np.argsort(created, kind="stable")
        created, group = created[order], group[order]
        cols = tuple(c[order] for c in cols)
        clash = np.flatnonzero((created[1:] == created[:-1]) & (group[1:] != group[:-1])) + 1
        if clash.size == 0:
            break
        later_natural = group[clash] < 0
        created[clash[later_natural]] += 1
        created[clash[~later_natural] - 1] -= 1  # the earlier one is natural (or both batches)
    return (created, *cols)


def _place_newest(rng: np.random.Generator, created: np.ndarray, kind: np.ndarray,
                  role: np.ndarray, now: int) -> None:
    """Move the newest runs into the last minutes and give them in-flight roles."""
    candidates = np.flatnonzero(kind != KIND_TIE)
    k = min(len(_NEWEST_ROLES), len(candidates) // 4)
    if k == 0:
        return
    newest = candidates[np.argsort(created[candidates], kind="stable")[-k:]]
    roles = _NEWEST_ROLES[:k]
    ages = []
    for r in roles:
        if r == Role.CREATED:
            ages.append(rng.uniform(0.1, 0.9))
        elif r == Role.QUEUED:
            ages.append(rng.uniform(5, 60))
        else:
            ages.append(rng.uniform(60, 900))
    pairs = sorted(zip((now - (np.array(ages) * US).astype(np.int64)).tolist(), roles,
                       strict=True))
    for idx, (target, r) in zip(newest.tolist(), pairs, strict=True):
        created[idx] = max(int(created[idx]), target)
        role[idx] = r
        kind[idx] = KIND_NATURAL


def _place_stuck(rng: np.random.Generator, created: np.ndarray, kind: np.ndarray,
                 role: np.ndarray, now: int, n_legacy: int) -> None:
    """Pick a few older runs to be stuck for hours or swept to timed_out."""
    n = created.size
    eligible = (kind != KIND_TIE) & (role == Role.NORMAL) & (np.arange(n) >= n_legacy)
    age = now - created
    wanted = []
    if n >= 100:
        hours = np.flatnonzero(eligible & (age > 2 * 3600 * US) & (age < 10 * 3600 * US))
        wanted += list(zip(rng.permutation(hours)[:2].tolist(),
                           (Role.STUCK_QUEUED, Role.STUCK_RUNNING), strict=False))
    if n >= 50:
        days = np.flatnonzero(eligible & (age > 86_400 * US))
        count = 2 if n >= 200 else 1
        wanted += [(i, Role.SWEPT) for i in rng.permutation(days)[:count].tolist()]
    for i, r in wanted:
        role[i] = r


def new_run_ids(rng: np.random.Generator, after: int, n: int) -> tuple[list[str], int]:
    """``n`` increasing ``wr_`` ids after the number ``after``, 2 to 23 apart.

    Returns:
        The ids, and the number of the last one (``after`` when ``n`` is 0).

    Example:
        >>> ids, last = new_run_ids(np.random.default_rng(1), 100, 3)
        >>> len(ids), ids[-1] == f"wr_{last}", 102 <= int(ids[0][3:]) <= 123
        (3, True, True)
        >>> new_run_ids(np.random.default_rng(1), 100, 0)
        ([], 100)
    """
    numbers = (after + np.cumsum(rng.integers(2, 24, size=n))).tolist()
    return [f"wr_{i}" for i in numbers], numbers[-1] if numbers else after


def make_history(factory: RunFactory, rng: np.random.Generator, n: int, *, start: int,
                 now: int, tie_groups: int = 0) -> tuple[list[Run], int]:
    """Plan the ``n`` runs of a history ending at ``now``, oldest first.

    Scheduled runs get trigger ``scheduled``, tie batches ``api``, the oldest
    runs none; the others draw one from their workflow's mix.

    Args:
        factory: plans the runs (its workflows are the history's).
        rng: seeded numpy generator for the plan and the ids.
        n: number of runs.
        start: start of the window, epoch microseconds.
        now: end of the window (the simulator clock).
        tie_groups: number of batches sharing one created_at.

    Returns:
        The runs (call :meth:`Run.evaluate` before reading them) and the
        number of the last run id, where new runs continue.

    Example:
        >>> import random
        >>> from .workflows import make_workflows
        >>> factory = RunFactory(random.Random(2), make_workflows(
        ...     random.Random(1), 2, start_us=0, org_id="o_1"))
        >>> runs, last = make_history(factory, np.random.default_rng(1), 30, start=0,
        ...                           now=86_400 * US)
        >>> len(runs), runs[-1].run_id == f"wr_{last}", runs[0].trigger
        (30, True, None)
    """
    plan = draw_history(rng, factory.wfs, n, start=start, now=now, tie_groups=tie_groups)
    ids, last = new_run_ids(rng, ID_BASE + int(rng.integers(0, 10**6)), n)
    triggers: list[str | bool | None] = [
        "scheduled" if k == KIND_SCHEDULED else "api" if k == KIND_TIE else True
        for k in plan.kind]
    triggers[:plan.n_untriggered] = [None] * plan.n_untriggered
    runs = factory.make_batch(plan.workflow, plan.created, ids, 0, now=now, triggers=triggers,
                              roles=plan.role, n_legacy=plan.n_legacy)
    return runs, last if n else ID_BASE

