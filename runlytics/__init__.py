"""runlytics: fetch, type, analyse and report on Skyvern workflow runs."""

from .frame import empty_frame, runs_frame

__all__ = ["empty_frame", "runs_frame"]
__version__ = "0.1.0"
