"""The one loader of YAML configs into typed dataclasses (fit jobs, pair datasets, editor training,
scene specs, ns-train presets).

Values are checked against the dataclass's type hints by pydantic (nested dataclasses too), then by
the dataclass's own `__post_init__`; unknown keys are refused at every level. Every problem is one
line naming the file and the field, e.g. `fit.yaml: fit.steps: Input should be a valid integer (got 'x')`.

A config may start from another: `base: other.yaml` (relative to the file) reads that one first and
the file's own keys override it, nested sections key by key, so a variant states only what differs.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from inredit.errors import InreditError

T = TypeVar("T")


def read_yaml_mapping(path: str | Path, what: str = "config", _seen: tuple[Path, ...] = ()) -> dict:
    """A YAML file that must hold a mapping, over its `base:` file if it names one; every problem is a
    one-line error naming the file."""
    path = Path(path)
    values = _read_one_mapping(path, what)
    if "base" not in values:
        return values
    base = values.pop("base")
    if not isinstance(base, str):
        raise InreditError(f"base: must be the path of another {what} file (got {base!r})", path)
    base_path = path.parent / base
    if base_path.resolve() in _seen + (path.resolve(),):
        raise InreditError(f"base: {base} leads back to a file already read (a cycle)", path)
    if not base_path.exists():
        raise InreditError(f"base: {what} file {base_path} not found", path)
    return _merged(read_yaml_mapping(base_path, what, _seen + (path.resolve(),)), values)


def _merged(base: dict, override: dict) -> dict:
    """`base` with `override`'s keys on top; mappings under the same key are merged the same way."""
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read_one_mapping(path: Path, what: str) -> dict:
    if not path.exists():
        raise InreditError(f"{what} file not found", path)
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InreditError(f"invalid YAML ({str(exc).splitlines()[0]})", path) from None
    if not isinstance(data, dict):
        raise InreditError(f"a {what} must be a YAML mapping", path)
    return dict(data)


def build_dataclass(cls: type[T], values: dict | None, path: object = None, section: str = "") -> T:
    """`cls` from a mapping, type-checked; `section` prefixes field names in errors ('' = top level)."""
    values = dict(values or {})
    _refuse_unknown_keys(cls, values, path, section)
    try:
        return _adapter(cls).validate_python(values)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join([section] * bool(section) + [str(part) for part in error["loc"]])
        message = error["msg"].removeprefix("Value error, ")
        got = f" (got {error['input']!r})" if error["loc"] else ""
        raise InreditError(f"{field + ': ' if field else ''}{message}{got}", path) from None
    except InreditError as exc:  # a dataclass's own check (e.g. INRSpec): name the file it came from
        if exc.path is not None or path is None:
            raise
        raise InreditError(f"{section + ': ' if section else ''}{exc}", path) from None
    except ValueError as exc:  # a check of the dataclass that pydantic does not wrap
        raise InreditError(f"{section + ': ' if section else ''}{exc}", path) from None


def load_dataclass(cls: type[T], path: str | Path, what: str = "config") -> T:
    """A whole YAML file as `cls`."""
    return build_dataclass(cls, read_yaml_mapping(path, what), path)


def _adapter(cls: type) -> pydantic.TypeAdapter:
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = pydantic.TypeAdapter(cls)
    return _ADAPTERS[cls]


_ADAPTERS: dict[type, pydantic.TypeAdapter] = {}


def _refuse_unknown_keys(cls: type, values: Any, path: object, section: str) -> None:
    """pydantic ignores unknown keys of plain dataclasses; a typo must not pass silently."""
    if not isinstance(values, dict):
        return
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - known)
    if unknown:
        where = f" in '{section}'" if section else ""
        raise InreditError(f"unknown keys {unknown}{where} (known: {sorted(known)})", path)
    for name, value in values.items():
        if dataclasses.is_dataclass(hints.get(name)):
            _refuse_unknown_keys(hints[name], value, path, f"{section}.{name}" if section else name)
