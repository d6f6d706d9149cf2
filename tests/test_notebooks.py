"""The notebooks run top to bottom against the simulator, with no error or warning."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"explore_runs.ipynb", "weekly_report.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_clean(path, monkeypatch, tmp_path):
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    book = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code"), \
        "commit notebooks without outputs"
    NotebookClient(book, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    streams = [out for cell in book.cells if cell.cell_type == "code"
               for out in cell.outputs if out.output_type == "stream" and out.name == "stderr"]
    assert not [s.text for s in streams if "Warning" in s.text or "Traceback" in s.text]
    images = [out for cell in book.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/png" in out.get("data", {})]
    assert images or "weekly" in path.name
