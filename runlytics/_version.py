"""The package version, in one place every module can import without a cycle."""

__version__ = "0.2.0"
