"""``python -m runlytics``: the same as the ``runlytics`` command."""

import sys

from .cli import main

sys.exit(main())
