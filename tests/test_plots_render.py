"""runlytics.plots.render: a plot as PNG bytes, without pyplot."""

from __future__ import annotations

import io

import matplotlib.image as mimage
from plot_frames import frame, run

from runlytics.plots import plot_failure_pareto, render_png


def test_render_png_draws_the_plot_at_the_size_asked() -> None:
    df = frame(run("f", status="failed", category="PROXY_ERROR"))
    png = render_png(plot_failure_pareto, df, figsize=(5.0, 2.5), dpi=80, top=3)
    image = mimage.imread(io.BytesIO(png), format="png")
    assert image.shape[:2] == (200, 400)
    assert png == render_png(plot_failure_pareto, df, figsize=(5.0, 2.5), dpi=80, top=3)
    assert b"Software" not in png  # no tool version in the file: the same plot, the same bytes


def test_render_png_leaves_pyplot_alone() -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    render_png(plot_failure_pareto, frame(run("ok")))
    assert plt.get_fignums() == before
