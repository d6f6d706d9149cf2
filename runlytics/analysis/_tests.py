"""Vectorised two-sample tests shared by :mod:`.changes` (scipy reference implementations)."""

from __future__ import annotations

import numpy as np
from scipy import stats

#: Below this expected count in a 2x2 cell, Fisher's exact test replaces the z test.
MIN_EXPECTED = 5.0


def cohens_h(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Cohen's h = 2 asin(sqrt p2) - 2 asin(sqrt p1) (NaN where either is NaN)."""
    h: np.ndarray = 2 * np.arcsin(np.sqrt(p2)) - 2 * np.arcsin(np.sqrt(p1))
    return h


def two_proportions(a1: np.ndarray, n1: np.ndarray, a2: np.ndarray, n2: np.ndarray,
                    min_n: float = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided p-values of ``a1/n1`` vs ``a2/n2`` and the test used per pair.

    The pooled two-proportion z test, or Fisher's exact test when an
    expected cell count is below ``MIN_EXPECTED``. NaN where a sample is
    smaller than ``min_n`` (such pairs are not tested at all).
    """
    a1, n1, a2, n2 = (np.asarray(x, dtype=np.float64) for x in (a1, n1, a2, n2))
    total = n1 + n2
    pooled = np.divide(a1 + a2, total, out=np.full(a1.shape, np.nan), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (a2 / n2 - a1 / n1) / se
    p = np.where(se > 0, 2 * stats.norm.sf(np.abs(z)), 1.0)
    expected = np.minimum.reduce([n1 * pooled, n1 * (1 - pooled), n2 * pooled,
                                  n2 * (1 - pooled)])
    tested = (n1 >= max(min_n, 1)) & (n2 >= max(min_n, 1))
    small = (expected < MIN_EXPECTED) & tested
    p[small] = fisher_exact(a1[small], n1[small], a2[small], n2[small])
    p[~tested] = np.nan
    return p, np.where(small, "fisher_exact", "two_proportion_z")


def poisson_ratio(c1: np.ndarray, c2: np.ndarray, ratio: float) -> np.ndarray:
    """Two-sided p of counts ``c1`` (previous) vs ``c2`` (current), exposure ``ratio``.

    The conditional test: given ``k = c1 + c2``, ``c2 ~ Binomial(k, r / (1 + r))``
    under equal rates; two-sided by doubling the smaller tail. NaN where k == 0.
    """
    c1, c2 = np.asarray(c1, dtype=np.float64), np.asarray(c2, dtype=np.float64)
    k = c1 + c2
    share = ratio / (1 + ratio)
    tails = np.minimum(stats.binom.cdf(c2, k, share), stats.binom.sf(c2 - 1, k, share))
    return np.where(k > 0, np.minimum(1.0, 2 * tails), np.nan)


def welch(n1: np.ndarray, m1: np.ndarray, v1: np.ndarray, n2: np.ndarray, m2: np.ndarray,
          v2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Welch's t test from sizes, means and (ddof=1) variances: (p, Cohen's d)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s1, s2 = v1 / n1, v2 / n2
        t = (m2 - m1) / np.sqrt(s1 + s2)
        dof = (s1 + s2) ** 2 / (s1 ** 2 / (n1 - 1) + s2 ** 2 / (n2 - 1))
        p = np.where(s1 + s2 > 0, 2 * stats.t.sf(np.abs(t), dof), np.where(m1 == m2, 1.0, 0.0))
        sd = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
        d = np.where(sd > 0, (m2 - m1) / sd, 0.0)
    bad = (n1 < 2) | (n2 < 2)
    return np.where(bad, np.nan, p), np.where(bad, np.nan, d)


def fisher_exact(a1: np.ndarray, n1: np.ndarray, a2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-sided Fisher exact p-values of many 2x2 tables at once (as ``scipy``'s).

    Sums the hypergeometric probabilities of the tables with the observed
    margins that are no more likely than the observed one (relative
    tolerance 1e-7, scipy's). Tables with a wide support go to scipy one by one.
    """
    total, hits = n1 + n2, a1 + a2
    lo = np.maximum(0, n1 - (total - hits))
    hi = np.minimum(n1, hits)
    out = np.empty(len(a1))
    wide = (hi - lo) > 2000
    for i in np.flatnonzero(wide):
        table = np.array([[a1[i], n1[i] - a1[i]], [a2[i], n2[i] - a2[i]]], dtype=np.int64)
        out[i] = stats.fisher_exact(table).pvalue
    narrow = ~wide
    if narrow.any():
        width = int((hi - lo)[narrow].max()) + 1
        x = lo[narrow, None] + np.arange(width)[None, :]
        m, k, n = total[narrow, None], hits[narrow, None], n1[narrow, None]
        pmf = np.where(x <= hi[narrow, None], stats.hypergeom.pmf(x, m, k, n), 0.0)
        observed = stats.hypergeom.pmf(a1[narrow], total[narrow], hits[narrow], n1[narrow])
        keep = pmf <= observed[:, None] * (1 + 1e-7)
        out[narrow] = np.minimum(1.0, (pmf * keep).sum(axis=1))
    return out
