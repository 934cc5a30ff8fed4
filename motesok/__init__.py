"""Mötessök: search over Swedish public meeting records."""

__version__ = "0.1.0"
