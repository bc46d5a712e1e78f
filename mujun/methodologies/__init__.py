"""The shipped methodology presets (TOML) and the loader that validates them.

`load_methodology("zhenhai")` takes a preset's name; any other argument is read as a path to a
county's own TOML file. An invalid file is refused with every key and reason, and so is a number
that has neither a `source` nor `illustrative = true` (docs/methodology.md, "Sources").
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from mujun.engine.methodology import Methodology

DEFAULT = "zhenhai"


class MethodologyError(ValueError):
    """A methodology that cannot be used; the message names the file, key and reason."""


def available() -> list[str]:
    """Names of the presets shipped with mujun."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def parse_methodology(text: str, source: str, require_sources: bool = True) -> Methodology:
    """Validate a methodology from TOML text; `source` names it in errors. `require_sources=False`
    reads a text written before numbers needed a source: its bare numbers are unsourced."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MethodologyError(f"{source}: not valid TOML: {exc}") from None
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
