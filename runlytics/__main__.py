"""``python -m runlytics``: the same as the ``runlytics`` command."""

import sys

from ._entry import run

sys.exit(run())
