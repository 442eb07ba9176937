"""Shared test helpers (loopback servers, fakes) used by several test modules."""
