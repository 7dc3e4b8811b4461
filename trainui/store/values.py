"""What the store can hold *and serve back*: the one check every value passes on its way in.

A value is stored in a JSON column (args, status fields, command bodies and answers) or a text
column (names, paths, errors), and served through orjson. Both databases take more than orjson
can send back, so a value that got in could break every later read:

- integers outside [-2^63, 2^64 - 1] (orjson refuses to write them);
- NaN and infinities (PostgreSQL's JSON type refuses them; JSON has no spelling for them);
- text that is not valid Unicode (a lone surrogate such as ``"\\ud800"``): orjson refuses it, and
  neither database stores it in a text column; NUL characters (PostgreSQL refuses them);
- nesting deeper than ``MAX_DEPTH`` levels (orjson stops at 255, with the answer around it).

Three ways to use it, one rule behind them: ``check`` refuses (the API: a 4xx naming the field),
``repaired`` replaces and says what (files a job wrote: the result's ingest error), ``servable``
replaces silently (values stored before these checks existed, served instead of a 500).
Paths are the exception that must round-trip: ``stored_path``/``fs_path`` keep a directory name
that is not valid UTF-8 reachable (see there).
"""
from __future__ import annotations

import math
from typing import Any

INT_MIN, INT_MAX = -2**63, 2**64 - 1
MAX_DEPTH = 64  # levels of objects and arrays in one stored value
SERVE_DEPTH = 200  # of a whole answer (stored values sit a few levels deep in it); orjson's limit is 255
REPLACEMENT = "\ufffd"


class Unstorable(ValueError):
    """A value the store cannot hold and serve back; says which field and why."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"'{shown_field(field)}': {problem}")


def check(value: Any, field: str, nonfinite_ok: bool = False) -> None:
    """Raise ``Unstorable`` for the first part of ``value`` the store cannot hold and serve back."""
    _check(value, field, 0, nonfinite_ok)


def _check(value: Any, field: str, depth: int, nonfinite_ok: bool) -> None:
    kind = type(value)
    if kind is str:
        problem = text_problem(value)
        if problem:
            raise Unstorable(field, problem)
    elif kind is int:
        if not INT_MIN <= value <= INT_MAX:
            raise Unstorable(field, f"the integer {_short(value)} is outside the range trainui stores "
                                    "(-2^63 to 2^64-1); send it as a string")
    elif kind is float:
        if not nonfinite_ok and not math.isfinite(value):
            shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            raise Unstorable(field, f"{shown} is not a number JSON can carry; send null or a string")
    elif kind is dict or kind is list:
        if depth >= MAX_DEPTH:
            raise Unstorable(field, f"nested deeper than {MAX_DEPTH} levels")
        if kind is dict:
            for key, item in value.items():
                name = f"{field}.{_key(key)}"
                if type(key) is not str:
                    raise Unstorable(name, "keys must be strings")
                problem = text_problem(key)
                if problem:
                    raise Unstorable(name, f"the key: {problem}")
                _check(item, name, depth + 1, nonfinite_ok)
        else:
            for index, item in enumerate(value):
                _check(item, f"{field}[{index}]", depth + 1, nonfinite_ok)


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return "text must not contain NUL characters"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            return f"text that is not valid Unicode ({text[error.start]!r} at character {error.start})"
    return None


def repaired(value: Any, field: str) -> tuple[Any, list[str]]:
    """``value`` with what cannot be stored replaced, and a message per field replaced. NaN and
    infinities become null without a message: Chainer writes them, and every trainui file reader
    has always read them so."""
    problems: list[str] = []
    return _repair(value, field, 0, MAX_DEPTH, problems), problems


def servable(value: Any) -> Any:
    """``value`` as an answer can carry it (values stored before the checks existed)."""
    return _repair(value, "", 0, SERVE_DEPTH, None)


def _repair(value: Any, field: str, depth: int, limit: int, problems: list | None) -> Any:
    kind = type(value)
    if kind is str:
        return value if text_problem(value) is None else _fixed_text(value, field, problems)
    if kind is int:
        if INT_MIN <= value <= INT_MAX:
            return value
        _note(problems, field, f"the integer {_short(value)} is outside what trainui stores; kept as text")
        return str(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict or kind is list or kind is tuple:
        if depth >= limit:
            _note(problems, field, f"nested deeper than {limit} levels; not stored")
            return None
        if kind is dict:
            out = {}
            for key, item in value.items():
                name = f"{field}.{_key(key)}"
                key = key if type(key) is str else str(key)
                if text_problem(key) is not None:
                    key = _fixed_text(key, name, problems)
                out[key] = _repair(item, name, depth + 1, limit, problems)
            return out
        return [_repair(item, f"{field}[{i}]", depth + 1, limit, problems) for i, item in enumerate(value)]
    return value  # None, bool, and what the encoder handles itself (numpy arrays)


def text(value: str) -> str:
    """Text for a text column: NUL removed, invalid Unicode replaced by U+FFFD."""
    return value if text_problem(value) is None else _fixed_text(value, "", None)


def _fixed_text(value: str, field: str, problems: list | None) -> str:
    value = value.replace("\x00", "")  # PostgreSQL cannot store it; files have always lost it silently
    if not _has_surrogate(value):
        return value
    _note(problems, field, "text that is not valid Unicode; shown with \N{REPLACEMENT CHARACTER}")
    return "".join(REPLACEMENT if "\ud800" <= c <= "\udfff" else c for c in value)


def _has_surrogate(value: str) -> bool:
    return not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)


def _note(problems: list | None, field: str, message: str) -> None:
    if problems is not None:
        problems.append(f"'{shown_field(field)}': {message}")


def shown_field(field: str) -> str:
    """A field's path, cut in the middle when a deep one would fill the message."""
    return field if len(field) <= 80 else f"{field[:40]}...{field[-30:]}"


def _key(key: Any) -> str:
    shown = key if isinstance(key, str) and key.isidentifier() else repr(key)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _short(number: int) -> str:
    digits = str(number)
    return digits if len(digits) <= 30 else f"{digits[:12]}...({len(digits)} digits)"


# Paths ---------------------------------------------------------------------------------------
# A directory name that is not valid UTF-8 reaches Python as lone surrogates U+DC80..U+DCFF
# (one per undecodable byte), which no text column holds. Stored, each becomes a character of the
# supplementary private use area, U+10FE80..U+10FEFF, and back again when the path is used on the
# file system: the stored path stays unique, readable (with one odd character) and reversible.
# (A real name holding those private-use characters would be read as those bytes.)
_ESCAPED, _PRIVATE = 0xDC00, 0x10FE00


def stored_path(path: str) -> str:
    if path.isascii() or not _has_surrogate(path):
        return path
    return "".join(chr(ord(c) - _ESCAPED + _PRIVATE) if "\udc80" <= c <= "\udcff" else
                   (REPLACEMENT if "\ud800" <= c <= "\udfff" else c) for c in path)


def fs_path(path: str) -> str:
    if path.isascii() or not any("\U0010fe80" <= c <= "\U0010feff" for c in path):
        return path
    return "".join(chr(ord(c) - _PRIVATE + _ESCAPED) if "\U0010fe80" <= c <= "\U0010feff" else c for c in path)
