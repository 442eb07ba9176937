"""Shared test helpers (servers and fakes); test modules import these, never each other."""
