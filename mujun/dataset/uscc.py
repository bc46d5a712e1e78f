"""统一社会信用代码 (unified social credit code, GB 32100-2015): format and check characters.

The one place the project checks or makes a USCC. Layout: registration authority (1), entity
type (1), division of the registering authority (6 digits), organisation code body (8) with its
GB 11714 check character (1), and the mod-31 check character (1). Facts in
../shared/data/uscc_rules.md.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def check_character(first17: str) -> str:
    """The mod-31 check character (position 18) for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_character(body8: str) -> str:
    """The GB 11714 organisation-code check character for its 8 body characters."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid USCC, or None when it is.

    Checks the shape (18 characters of the 31-character set, digits in positions 3-8) and the mod-31
    check character. The inner GB 11714 check is not enforced: GB 32100 lets authorities other than
    market regulation put identifiers there that do not follow it.
    """
    if len(code) != 18:
        return f"expected 18 characters, got {len(code)}"
    if not SHAPE.match(code):
        bad = sorted({c for c in code if c not in _VALUE})
        if bad:
            allowed = "digits and capitals without I O S V Z"
            return f"characters {''.join(bad)!r} are not allowed ({allowed})"
        return "positions 3-8 must be the 6-digit division code"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, GB 32100 gives {expected!r}"
    return None


def make_uscc(division6: str, body8: str, authority: str = "91") -> str:
    """A well-formed USCC from its parts (used by the synthetic district)."""
    first17 = authority + division6 + body8 + org_check_character(body8)
    return first17 + check_character(first17)
