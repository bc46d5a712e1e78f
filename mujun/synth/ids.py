"""Unified social credit codes and Chinese enterprise names, made in bulk and unique.

The codes follow mujun.dataset.uscc (GB 32100 layout, GB 11714 inner check, mod-31 check), computed
with numpy for speed; `make_uscc` gives the same code for the same parts (tests check this).
"""

from __future__ import annotations

import numpy as np

from mujun.dataset.uscc import ALPHABET
from mujun.synth import profiles as P

_CHARS = np.array(list(ALPHABET))
_ORG_VALUE = np.array([int(c, 36) for c in ALPHABET])
"""GB 11714 value of each alphabet character (plain A=10 … Z=35)."""
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])


def _as_strings(chars: np.ndarray) -> np.ndarray:
    """(n, k) array of 1-character strings → (n,) array of k-character strings."""
    k = chars.shape[1]
    return np.ascontiguousarray(chars.astype("<U1")).view(f"<U{k}").ravel()


def uscc_codes(rng: np.random.Generator, division6: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Unique USCCs for registering divisions `division6` (6-digit strings).

    `new` firms (registered since October 2015) get an 'MA2…' body, the others 8 digits.
    """
    n = len(division6)
    body = np.empty((n, 8), dtype=np.int64)
    todo = np.arange(n)
    powers = 31 ** np.arange(7, -1, -1, dtype=np.int64)
    while len(todo):
        m = len(todo)
        draw = np.empty((m, 8), dtype=np.int64)
        is_new = new[todo]
        draw[:, 0] = np.where(is_new, 21, rng.integers(1, 8, m))  # M / old codes start 1-7
        draw[:, 1] = np.where(is_new, 10, rng.integers(0, 10, m))  # A
        draw[:, 2] = np.where(is_new, 2, rng.integers(0, 10, m))  # 2
        draw[:, 3:] = np.where(
            is_new[:, None], rng.integers(0, 31, (m, 5)), rng.integers(0, 10, (m, 5))
        )
        body[todo] = draw
        keys = body @ powers
        # keep the first of equal bodies, draw again for the others
        _, first = np.unique(keys, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        todo = np.flatnonzero(dup)
    org = 11 - (_ORG_VALUE[body] @ _ORG_WEIGHTS) % 11
    org_idx = np.where(org == 10, ALPHABET.index("X"), np.where(org == 11, 0, org))
    codes, inverse = np.unique(division6, return_inverse=True)
    div_digits = np.array([[int(c) for c in d] for d in codes], dtype=np.int64)[inverse]
    first17 = np.concatenate(
        [np.full((n, 1), 9), np.full((n, 1), 1), div_digits, body, org_idx[:, None]], axis=1
    )
    check = (31 - (first17 @ _WEIGHTS) % 31) % 31
    full = np.concatenate([first17, check[:, None]], axis=1)
    return _as_strings(_CHARS[full])


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int, p=None) -> np.ndarray:
    arr = np.array(options)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return arr[rng.choice(len(arr), n, p=p)]


def enterprise_names(rng: np.random.Generator, sector: np.ndarray, big: np.ndarray) -> np.ndarray:
    """Unique names such as 宁波镇海恒达机械有限公司; `big` firms are more often 股份有限公司."""
    n = len(sector)
    first = np.array(list(P.TRADE_FIRST))
    second = np.array(list(P.TRADE_SECOND))
    prefix = _pick(rng, P.NAME_PREFIXES, n, P.NAME_PREFIX_WEIGHTS)
    form = np.where(rng.random(n) < np.where(big, 0.45, 0.08), P.FORMS[1], P.FORMS[0])
    word = np.empty(n, dtype=object)
    for s, spec in enumerate(P.SECTORS):
        idx = np.flatnonzero(sector == s)
        if len(idx):
            word[idx] = _pick(rng, spec.words, len(idx))
    names = np.empty(n, dtype=object)
    todo = np.arange(n)
    rounds = 0
    while len(todo):
        m = len(todo)
        trade = first[rng.integers(0, len(first), m)].astype(object) + second[
            rng.integers(0, len(second), m)
        ].astype(object)
        if rounds >= 3:  # crowded: three-character trade names
            trade = trade + second[rng.integers(0, len(second), m)].astype(object)
        names[todo] = prefix[todo].astype(object) + trade + word[todo] + form[todo].astype(object)
        _, first_idx = np.unique(names.astype(str), return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first_idx] = False
        todo = np.flatnonzero(dup)
        rounds += 1
    return names.astype(str)
