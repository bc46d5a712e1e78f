"""The shipped methodology presets (TOML) and the loader that validates them.

`load_methodology("zhenhai")` takes a preset's name; any other argument is read as a path to a
county's own TOML file. An invalid file is refused with every key and reason, and so is a number
that has neither a `source` nor `illustrative = true` (docs/methodology.md, "Sources"). A preset may
`extends = "zhenhai"` (a shipped preset) and give only what differs.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from mujun.engine.methodology import Methodology, sourced_numbers

DEFAULT = "zhenhai"


class MethodologyError(ValueError):
    """A methodology that cannot be used; the message names the file, key and reason."""


def available() -> list[str]:
    """Names of the presets shipped with mujun."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def _toml(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MethodologyError(f"{source}: not valid TOML: {exc}") from None


def _merged(base: dict, changes: dict) -> dict:
    """`base` with `changes` laid over it: tables merged key by key, everything else replaced (an
    annotated value `{ value = …, source = … }` too: a number brings its own provenance)."""
    out = dict(base)
    for key, value in changes.items():
        tables = isinstance(value, dict) and isinstance(out.get(key), dict)
        if tables and "value" not in value and "value" not in out[key]:
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _resolved(data: dict, source: str, seen: tuple[str, ...] = ()) -> dict:
    """A preset that `extends = "<shipped preset>"` is that preset with its own keys laid over it
    (a variant says only what differs: 东阳's low-efficiency rule on top of zhenhai, say)."""
    parent = data.pop("extends", None)
    if parent is None:
        return data
    # each file's table-level `source` / `illustrative` covers its own numbers only
    data = sourced_numbers(data)
    if parent not in available() or parent in seen:
        raise MethodologyError(
            f"{source}: extends = {parent!r}: expected a shipped preset ({', '.join(available())})"
            + (" not already extended on the way here" if parent in seen else "")
        )
    text = resources.files(__name__).joinpath(f"{parent}.toml").read_text(encoding="utf-8")
    base = _resolved(_toml(text, f"preset {parent}"), f"preset {parent}", (*seen, parent))
    return _merged(sourced_numbers(base), data)


def parse_methodology(text: str, source: str, require_sources: bool = True) -> Methodology:
    """Validate a methodology from TOML text; `source` names it in errors. `require_sources=False`
    reads a text written before numbers needed a source: its bare numbers are unsourced."""
    data = _resolved(_toml(text, source), source)
    try:
        return Methodology.model_validate(data, context={"require_sources": require_sources})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {key}: {err['msg']}")
        raise MethodologyError(f"{source}: invalid methodology\n" + "\n".join(lines)) from None


def load_methodology(name_or_path: str | Path = DEFAULT) -> Methodology:
    """A shipped preset by name, or a TOML file by path."""
    name = str(name_or_path)
    if name in available():
        text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
        return parse_methodology(text, f"preset {name}")
    path = Path(name)
    if not path.is_file():
        raise MethodologyError(
            f"no methodology {name!r}: not a preset ({', '.join(available())}) nor a TOML file"
        )
    return parse_methodology(path.read_text(encoding="utf-8"), str(path))
