"""Policy files: TOML over shipped defaults, every key validated, every error naming the file
and the dotted key::

    policy.toml: weights.language: expected a number >= 0, got "high"

A package describes its keys once (dotted key -> (field name, check)); :func:`load` reads the
shipped defaults (which must define every key: they are the documentation) and an agency's
file over them. The checks are small functions that return the value to keep or raise
``ValueError("expected ...")``.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "Check",
    "OpenTables",
    "PolicyError",
    "boolean",
    "choice",
    "number",
    "overrides",
    "read_toml",
    "shipped",
    "shown",
    "whole",
    "with_overrides",
]

Check = Callable[[Any], Any]


class PolicyError(ValueError):
    """A policy file (or value) that cannot be used; the message names the file and key."""


def shown(value: Any) -> str:
    """A value as TOML would spell it ("high" in quotes, true, 3.5)."""
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def number(low: float, high: float | None = None, *, above: bool = False) -> Check:
    """A finite number from ``low`` (``above``: beyond it), up to ``high`` when given
    (``above`` with ``high``: the open interval)."""
    if high is not None:
        bound = f"in ({low:g}, {high:g})" if above else f"in [{low:g}, {high:g}]"
    else:
        bound = f"> {low:g}" if above else f">= {low:g}"

    def check(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value) and (value > low if above else value >= low)
        ok = ok and (high is None or (value < high if above else value <= high))
        if not ok:
            raise ValueError(f"expected a number {bound}, got {shown(value)}")
        return float(value)

    return check


def whole(low: int) -> Check:
    """A whole number from ``low``."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"expected a whole number >= {low}, got {shown(value)}")
        return value

    return check


def choice(*allowed: str) -> Check:
    """One of the ``allowed`` strings."""

    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(
                f"expected one of {', '.join(shown(a) for a in allowed)}, got {shown(value)}"
            )
        return str(value)

    return check


def boolean(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {shown(value)}")
    return value


def read_toml(path: Path, source: str) -> dict[str, Any]:
    """A TOML document; ``source`` names it in errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{source}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{source}: cannot read the policy file: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None


def _flatten(
    document: Mapping[str, Any],
    source: str,
    keys: Mapping[str, tuple[str, Check]],
    open_tables: Mapping[str, tuple[Sequence[str], str]],
) -> dict[str, Any]:
    """Dotted keys of a parsed document, refusing unknown keys and misplaced tables.

    ``open_tables``: table -> (the names it may hold, what a name is: "factor"), for a table
    whose keys are names rather than fixed keys (``[weights]``).
    """
    tables = {k.split(".")[0] for k in keys if "." in k} | set(open_tables)
    expected = ", ".join([*keys, *(f"{t}.*" for t in open_tables)])
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if key in tables:
            if not isinstance(value, dict):
                raise PolicyError(f"{source}: {key}: expected a table [{key}]")
            for inner, item in value.items():
                dotted = f"{key}.{inner}"
                if key in open_tables:
                    names, what = open_tables[key]
                    if inner not in names:
                        raise PolicyError(
                            f"{source}: {dotted}: unknown {what}; expected one of "
                            f"{', '.join(names)}"
                        )
                elif dotted not in keys:
                    raise PolicyError(
                        f"{source}: {dotted}: unknown key; expected one of {expected}"
                    )
                flat[dotted] = item
        elif key in keys:
            flat[key] = value
        else:
            raise PolicyError(f"{source}: {key}: unknown key; expected one of {expected}")
    return flat


def _validated(
    flat: Mapping[str, Any],
    source: str,
    keys: Mapping[str, tuple[str, Check]],
    open_tables: Mapping[str, Check],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for dotted, value in flat.items():
        table = dotted.split(".")[0]
        check = open_tables[table] if table in open_tables else keys[dotted][1]
        try:
            values[dotted] = check(value)
        except ValueError as exc:
            raise PolicyError(f"{source}: {dotted}: {exc}") from None
    return values


OpenTables = Mapping[str, tuple[Sequence[str], str, Check]]


def _read(
    file: Path, source: str, keys: Mapping[str, tuple[str, Check]], tables: OpenTables
) -> dict[str, Any]:
    names = {t: (n, what) for t, (n, what, _) in tables.items()}
    checks = {t: check for t, (_, _, check) in tables.items()}
    flat = _flatten(read_toml(file, source), source, keys, names)
    return _validated(flat, source, keys, checks)


def shipped(
    package: str, keys: Mapping[str, tuple[str, Check]], open_tables: OpenTables | None = None
) -> dict[str, Any]:
    """The validated values (dotted key -> value) of ``package``'s shipped ``policy.toml``.

    Parameters
    ----------
    keys
        dotted key -> (the field it fills, its check).
    open_tables
        table -> (the names it may hold, what a name is, the check of every value), for a
        table whose keys are names rather than fixed keys (``[weights]``).

    Raises
    ------
    PolicyError
        A value is out of range, or the shipped file lacks a key (it must define every key:
        it is the documentation).
    """
    tables = open_tables or {}
    with resources.as_file(resources.files(package).joinpath("policy.toml")) as file:
        values = _read(file, "policy.toml", keys, tables)
    every = {*keys, *(f"{t}.{n}" for t, (names, _, _) in tables.items() for n in names)}
    missing = sorted(every - set(values))
    if missing:
        raise PolicyError(f"policy.toml: {missing[0]}: missing from the shipped defaults")
    return values


def overrides(
    path: str | Path,
    keys: Mapping[str, tuple[str, Check]],
    open_tables: OpenTables | None = None,
) -> dict[str, Any]:
    """The validated values of an agency's policy file (any subset of the keys).

    Raises
    ------
    PolicyError
        The file is missing or not TOML, a key is unknown, or a value is out of range; the
        message names the file and the dotted key.
    """
    return _read(Path(path), str(path), keys, open_tables or {})


def with_overrides(
    defaults: Mapping[str, Any],
    path: str | Path | None,
    keys: Mapping[str, tuple[str, Check]],
    open_tables: OpenTables | None = None,
) -> tuple[dict[str, Any], str]:
    """The shipped ``defaults`` with the file at ``path`` over them (None: the defaults
    alone), and the name of the file the values come from."""
    values = dict(defaults)
    if path is None:
        return values, "policy.toml"
    values.update(overrides(path, keys, open_tables))
    return values, str(path)
