"""Header cells as people write them → (field, unit, year).

'实缴税金（万元）', '实缴税金(万元)', ' 实缴税金\n(万元) ', '2022年实缴税金（万元）' and '实缴税金/万元' all read as
the field tax_paid in 万元 (the last two with the year 2022 / a slash unit). Matching is exact on the
normalized name (full-width to half-width, no spaces), so a short generic name never captures a
longer one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mujun.ingest.units import UNITS, normalize_unit

_BRACKETED = re.compile(r"^(?P<name>.*?)[(\[【<](?P<unit>[^()\[\]【】<>]*)[)\]】>]$")
_SLASH = re.compile(r"^(?P<name>.+?)[/／](?P<unit>[^/]+)$")
_YEAR = re.compile(r"^(?P<year>(19|20)\d{2})年(度)?(?P<rest>.+)$")
_UNITISH = re.compile(r"(元|币|米|m2|亩|顷|吨|煤|瓦时|度|克|斤|wh|tce)$")
"""A bracket that reads as a unit even if mujun does not know it ('万美元', '英亩'), so that it is
refused as an unknown unit, not taken for a qualifier such as '当年价'."""
_UNIT_NOTE = re.compile(r"(?:金额)?单位[:：]\s*(?P<unit>[^\s,，;；)）]+)")


def normalize(text: object) -> str:
    """Full-width to half-width (NFKC), every whitespace removed, ASCII lower-case."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", text).lower()


@dataclass(frozen=True)
class Header:
    text: str
    """As written in the file."""
    names: tuple[str, ...]
    """Normalized candidates, without unit or year, the most specific first: '工业总产值(当年价)',
    then '工业总产值'."""
    unit: str | None
    year: int | None


def is_unit(text: str) -> bool:
    u = normalize_unit(text)
    return any(u in {normalize_unit(k) for k in table} for table in UNITS.values())


def looks_like_unit(text: str) -> bool:
    return is_unit(text) or bool(_UNITISH.search(normalize(text)))


def parse_header(text: object) -> Header:
    raw = "" if text is None else str(text)
    name = normalize(raw)
    unit = year = None
    m = _BRACKETED.match(name)
    if m and m.group("name") and looks_like_unit(m.group("unit")):
        name, unit = m.group("name"), m.group("unit")
    elif not m:
        m = _SLASH.match(name)
        if m and looks_like_unit(m.group("unit")):
            name, unit = m.group("name"), m.group("unit")
    m = _YEAR.match(name)
    if m:
        name, year = m.group("rest"), int(m.group("year"))
    names = [name]
    m = _BRACKETED.match(name)
    if m and m.group("name"):  # a qualifier such as (当年价) or (等价值)
        names.append(m.group("name"))
    return Header(raw.strip(), tuple(names), unit or None, year)


def unit_note(text: object) -> str | None:
    """The unit a title or note line gives for the whole sheet ('单位：万元'), if any."""
    m = _UNIT_NOTE.search(normalize(text))
    return m.group("unit") if m else None


def year_note(text: object) -> int | None:
    """A year named in a title line ('2022年度企业纳税情况表'), if any."""
    m = re.search(r"((?:19|20)\d{2})\s*年", unicodedata.normalize("NFKC", str(text or "")))
    return int(m.group(1)) if m else None
