"""Stores: one protocol (``base.Store``), two implementations, picked by ``factory.open_store``."""
