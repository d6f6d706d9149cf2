"""Old public names that keep working for one release, with a warning naming the new one."""

from __future__ import annotations

import warnings
from typing import TypeVar

__all__ = ["deprecated"]

T = TypeVar("T")


def deprecated(old: str, new: str, value: T) -> T:
    """Warn that ``old`` is deprecated in favour of ``new``; return ``value``.

    Called from a module's ``__getattr__``, so the warning points at the line
    that used the old name.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     value = deprecated("runlytics.old_name", "runlytics.new_name", 42)
        >>> value, str(caught[0].message), caught[0].category.__name__
        (42, 'runlytics.old_name is deprecated; use runlytics.new_name', 'DeprecationWarning')
    """
    # 1 is this function, 2 the module's __getattr__, 3 the code that named the old name
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)
    return value
