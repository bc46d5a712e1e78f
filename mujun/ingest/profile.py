"""Profiles: the layout of one agency's file — which fields it carries, which it must carry, and the
county's own header names or units — as a small TOML file, validated. Shipped profiles are in
`mujun/ingest/profiles/`; `mujun ingest --profile FILE` adds a county's own without code.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from mujun.ingest.fields import FIELDS, QUANTITIES
from mujun.ingest.headers import normalize
from mujun.ingest.units import factor, known_units
from mujun.ingest.values import PARSERS


class ProfileError(ValueError):
    pass


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    fields: list[str]
    required: list[str]
    headers: dict[str, str] = {}
    """Extra header names → field, e.g. "纳税金额合计" = "tax_paid"."""
    units: dict[str, str] = {}
    """Units for fields whose headers carry none in this layout, e.g. tax_paid = "元"."""
    constants: dict[str, str] = {}
    """Values every row has, e.g. scale = "above" for a file of 规上 firms only."""

    @field_validator("fields", "required")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [f for f in v if f not in FIELDS]
        if unknown:
            raise ValueError(f"unknown fields {unknown}; known: {', '.join(FIELDS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        if not set(self.required) <= set(self.fields):
            raise ValueError("required fields must be among fields")
        for header, field in self.headers.items():
            if field not in self.fields:
                raise ValueError(f"headers.{header}: {field!r} is not one of this profile's fields")
        for field, unit in self.units.items():
            kind = FIELDS[field].kind if field in FIELDS else None
            if kind not in QUANTITIES:
                raise ValueError(f"units.{field}: not a field with a unit")
            if factor(kind, unit) is None:
                raise ValueError(
                    f"units.{field}: unknown unit {unit!r}; use one of {known_units(kind)}"
                )
        for field, value in self.constants.items():
            kind = FIELDS[field].kind if field in self.fields else None
            if kind is None or kind in QUANTITIES:
                raise ValueError(
                    f"constants.{field}: not one of this profile's fields without a unit"
                )
            parsed, reason = PARSERS[kind](value)
            if parsed is None:
                raise ValueError(f"constants.{field}: {reason or 'empty'}")
        return self

    def constant_values(self) -> dict[str, object]:
        """The constants read as their fields' cells are ('规下' → 'below', '2022' → 2022)."""
        return {f: PARSERS[FIELDS[f].kind](v)[0] for f, v in self.constants.items()}

    def header_index(self) -> dict[str, str]:
        """Normalized header name → field, for this profile's fields."""
        index = {}
        for field in self.fields:
            for h in FIELDS[field].headers:
                index.setdefault(normalize(h), field)
        for h, field in self.headers.items():
            index[normalize(h)] = field
        return index


def parse_profile(text: str, source: str) -> Profile:
    try:
        return Profile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in exc.errors()
        ]
        raise ProfileError(f"{source}: invalid profile\n" + "\n".join(lines)) from None


@cache
def shipped() -> tuple[Profile, ...]:
    folder = resources.files("mujun.ingest.profiles")
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".toml"))
    return tuple(parse_profile(f.read_text(encoding="utf-8"), f"profile {f.name}") for f in files)


def load_profiles(extra: list[str | Path] = ()) -> list[Profile]:
    """The shipped profiles, with a county's own added first (they win ties)."""
    own = [parse_profile(Path(p).read_text(encoding="utf-8"), str(p)) for p in extra]
    return [*own, *shipped()]
