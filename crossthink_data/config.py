"""One strict loader for YAML settings: dataclass fields are the schema.

Recipes, blends and generation settings are dataclasses; a YAML file (or a dict) becomes one with
:func:`from_dict`, which derives the allowed keys from the dataclass fields (so they are never
repeated by hand), rejects unknown keys with the list of allowed ones, and builds nested
dataclasses (a field typed ``Spec`` or ``list[Spec]``) from nested mappings.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A settings file or mapping that does not fit its dataclass (message names the key and file)."""


def load_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """A YAML mapping from any storage URL; an empty file is ``{}``, anything but a mapping an error."""
    from crossthink_data import storage

    try:
        text = storage.read_text(path)
    except FileNotFoundError:
        raise ConfigError(f"settings file {os.fspath(path)} does not exist") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{os.fspath(path)} is not valid YAML: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{os.fspath(path)} must hold a mapping of settings, not {type(data).__name__}")
    return data


def field_names(cls: type) -> list[str]:
    """The settable fields of a dataclass (``init=False`` fields are not settings)."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def check_keys(keys: typing.Iterable[str], allowed: typing.Iterable[str], where: str) -> None:
    """Raises :class:`ConfigError` naming the unknown keys and the allowed ones."""
    allowed = list(allowed)
    unknown = sorted(set(keys) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def from_dict(cls: type[T], data: dict[str, Any], where: str = "settings") -> T:
    """Builds dataclass ``cls`` from ``data``, strictly (see the module doc).

    Args:
        where: how error messages name the input (a file name, ``recipe.sources[2]``...).
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    check_keys(data, field_names(cls), where)
    hints = typing.get_type_hints(cls)
    values = {name: _convert(hints.get(name), value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**values)
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    """Nested dataclasses (alone, in a list, or optional) from mappings; other values as they are."""
    if value is None or hint is None:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        candidates = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(candidates) == 1:
            return _convert(candidates[0], value, where)
        return value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint) or (None,)
        return [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value, where)
    return value
