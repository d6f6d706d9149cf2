"""runlytics.plots.text: server text is drawn safely; bucket sizes are said in words."""

from __future__ import annotations

import pytest
from plot_frames import frame, new_ax, run

from runlytics import UnknownValueWarning
from runlytics.plots import LABEL_LIMIT, freq_label, plot_duration_by_workflow, plot_failure_pareto


def _workflow_label(title: str | None) -> str:
    df = frame(run("r", title=title, started="10:00", finished="10:01"))
    (label,) = plot_duration_by_workflow(df, ax=new_ax()).get_yticklabels()
    return label.get_text()


@pytest.mark.parametrize(("title", "label"), [
    ("Price $5 \u202eevil\x1b[31m <b>", r"Price \$5 evil[31m <b>  (n=1)"),  # no mathtext, bidi, ESC
    ("a\tb\n\nc", "a b c  (n=1)"),  # one line
    ("a\tb\u202e$c\x00" + "x" * 60, r"a b\$c" + "x" * 27 + "…  (n=1)"),
    ("x" * 40, "x" * 33 + "…  (n=1)"),  # at most 34 characters
    ("\u200b\u2066", "(blank)  (n=1)"),  # only invisible characters
    (None, "wpid_a  (n=1)"),  # no title: the workflow id
])
def test_workflow_titles_are_cleaned_before_they_are_drawn(title: str | None,
                                                           label: str) -> None:
    assert _workflow_label(title) == label


def test_failure_categories_are_shortened() -> None:
    with pytest.warns(UnknownValueWarning):  # a category runlytics does not know
        df = frame(run("f", status="failed", category="A_CATEGORY_NAME_LONGER_THAN_THIRTY"))
    (label,) = plot_failure_pareto(df, ax=new_ax()).get_yticklabels()
    assert label.get_text() == "A_CATEGORY_NAME_LONGER_THAN_T…"  # 30 characters
    assert LABEL_LIMIT == 42  # the default limit of other labels


def test_freq_label() -> None:
    assert [freq_label(f) for f in ("h", "3h", "6h", "D", "W", "MS", "ME", "15min", "min")] == [
        "hour", "3 hours", "6 hours", "day", "week", "month", "month", "15 minutes", "minute"]
    assert freq_label("2D") == "2D"  # no word for it: the alias itself
