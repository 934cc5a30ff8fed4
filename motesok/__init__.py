"""Mötessök: search over Swedish public meeting records."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("motesok")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.0.0+source"
