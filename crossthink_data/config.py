"""One strict loader for YAML settings: dataclass fields are the schema, type hints the value rules.

Recipes, blends and stage settings are dataclasses; a YAML file (or a dict) becomes one with
:func:`from_dict`, which derives the allowed keys from the dataclass fields (so they are never
repeated by hand), rejects unknown keys with the list of allowed ones, builds nested dataclasses (a
field typed ``Spec`` or ``list[Spec]``) from nested mappings, and checks every value against its
field's type hint and metadata, so a wrong value stops with one line naming the key and the fix:

- ``bool`` must be a YAML boolean (``"no"`` is a string, not false); ``int`` an integer (``"10"``
  is refused, not passed on to fail later); ``float`` a number; ``str`` a string;
- ``Literal[...]`` is a choice among its values;
- ``field(metadata={"min": 0, "max": 1})`` bounds a number (inclusive);
- ``null`` for a field that does not take ``None`` means "the default" (``trust_order: null``).

Secrets (API keys, tokens) are :class:`Secret` values: they print, serialise (``json``,
``dataclasses.asdict`` + ``default=str``, datatrove's ``executor.json``) and fingerprint as
``***``; only :func:`reveal` gives the value, at the one place a request is authenticated.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from typing import Any, TypeVar

import yaml

T = TypeVar("T")

REDACTED = "***"

# Where datatrove runs a stage's tasks (crossthink_data.executors.make_executor): one typed setting,
# the recipe's ``executor:`` and every data command's ``--executor``.
Executor = typing.Literal["local", "slurm", "ray"]
EXECUTORS: tuple[str, ...] = typing.get_args(Executor)


DEFAULT_MAX_REJECTED = 0.01
"""Share of a stage's input rows that may be rejected on read (bad UTF-8, malformed JSON, a NUL
byte, a missing or wrongly typed column) before the command stops; see :mod:`crossthink_data.rows`."""


def max_rejected_field() -> Any:
    """The ``max_rejected`` setting of every stage that reads rows: one name in recipes and flags."""
    return dataclasses.field(default=DEFAULT_MAX_REJECTED, metadata={"min": 0.0, "max": 1.0})


class ConfigError(ValueError):
    """A settings file or mapping that does not fit its dataclass (message names the key and file)."""


class Secret:
    """A credential that never shows: ``str()``/``repr()``/JSON give ``***``; :func:`reveal` the value.

    Not a ``str`` subclass on purpose: ``json.dumps`` writes a ``str`` subclass's characters, while
    any other object goes through the encoder's ``default`` (``str``), which datatrove's
    ``executor.json`` writer and every fingerprint here use.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return REDACTED

    __repr__ = __str__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __deepcopy__(self, memo: dict) -> Secret:
        return self

    def __reduce__(self):  # pickles through process pools (datatrove's workers)
        return (Secret, (self._value,))


def reveal(value: str | Secret | None) -> str | None:
    """The plain value of a :class:`Secret` (or of a plain string, as it is)."""
    return value.reveal() if isinstance(value, Secret) else value


def secret(value: str | Secret | None) -> Secret | None:
    """``value`` as a :class:`Secret` (``None`` and ``""`` stay as they are)."""
    return Secret(value) if value else value


def public(obj: Any, replacement: Any = REDACTED) -> Any:
    """Plain data (dataclasses as dicts) with every :class:`Secret` replaced: what may be written."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, Secret):
        return replacement
    if isinstance(obj, dict):
        return {k: public(v, replacement) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [public(v, replacement) for v in obj]
    return obj


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
        where: how error messages name the input (``settings.yaml``, ``recipe r.yaml: sources[2]``);
            a nested key is ``where.key``, or ``where key`` after a ``where`` ending in ``:``.
    """
    label = where.rstrip(":")
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping, got {_shown(data)}")
    check_keys(data, field_names(cls), label)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for name, value in data.items():
        if value is None and not _takes_none(hints.get(name)) and _has_default(fields[name]):
            continue  # null: the field's default
        key = f"{where} {name}" if where.endswith(":") else f"{where}.{name}"
        values[name] = check_value(hints.get(name), value, key, fields[name].metadata)
    try:
        return cls(**values)
    except TypeError as err:  # a required key is missing
        raise ConfigError(f"{label}: {err}".replace("__init__() ", "")) from None
    except ValueError as err:  # the dataclass's own rule (``__post_init__``)
        raise ConfigError(f"{label}: {err}") from None


def check_value(
    hint: Any, value: Any, where: str, metadata: typing.Mapping[str, Any] = types.MappingProxyType({})
) -> Any:
    """``value`` checked against the type ``hint`` and the bounds in ``metadata`` (``min``, ``max``),
    converted where YAML cannot say the type (a list for a tuple, an int for a float); raises
    :class:`ConfigError` with one line naming ``where``, the value and what it must be."""
    value = _convert(hint, value, where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = metadata.get("min"), metadata.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (
                f"within [{low}, {high}]"
                if low is not None and high is not None
                else (f"at least {low}" if low is not None else f"at most {high}")
            )
            raise ConfigError(f"{where}: must be {bounds}, got {value!r}")
    return value


def _convert(hint: Any, value: Any, where: str) -> Any:
    if hint is None or hint is Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if value is None:
        if _takes_none(hint):
            return None
        raise ConfigError(f"{where}: must be {_describe(hint)}, got null")
    if origin in (typing.Union, types.UnionType):
        return _convert_union([a for a in args if a is not type(None)], value, where)
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: must be one of {list(args)}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: must be a list, got {_shown(value)}")
        item = args[0] if args else None
        items = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: must be a mapping, got {_shown(value)}")
        return value
    if dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else from_dict(hint, value, where)
    return _convert_scalar(hint, value, where)


def _convert_union(candidates: list, value: Any, where: str) -> Any:
    errors = []
    for candidate in candidates:
        try:
            return _convert(candidate, value, where)
        except ConfigError as err:
            errors.append(err)
    if len(errors) == 1:
        raise errors[0]
    kinds = " or ".join(_describe(c) for c in candidates)
    raise ConfigError(f"{where}: must be {kinds}, got {_shown(value)}")


def _convert_scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false (a YAML boolean), got {_shown(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be an integer (unquoted), got {_shown(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: must be a number (unquoted), got {_shown(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str | Secret):
            raise ConfigError(f"{where}: must be a string, got {_shown(value)}")
        return value
    return value


def _takes_none(hint: Any) -> bool:
    return hint is None or hint is Any or type(None) in typing.get_args(hint)


def _has_default(field: dataclasses.Field) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING


def _describe(hint: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint in names:
        return names[hint]
    if typing.get_origin(hint) is typing.Literal:
        return f"one of {list(typing.get_args(hint))}"
    if typing.get_origin(hint) in (list, tuple):
        return "a list"
    return "a mapping" if dataclasses.is_dataclass(hint) or typing.get_origin(hint) is dict else str(hint)


def _shown(value: Any) -> str:
    if isinstance(value, Secret):
        return f"{value} (a string)"
    kind = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)  # fmt: skip
    return f"{value!r} ({kind})"
