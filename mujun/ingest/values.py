"""Cell values as people type them → the contract's values, or the reason they cannot be read.

Every parser returns (value, None) or (None, reason); an empty cell (blank, '—', '-', '/', '无')
is (None, None): no amount, not an error.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from mujun.dataset.reference import divisions, industries, industry_classes
from mujun.dataset.uscc import uscc_problem
from mujun.ingest.fields import EVENT_KINDS, PARCEL_STATUSES, QUALIFICATION_KINDS, SCALES
from mujun.ingest.headers import normalize

EMPTY = {"", "-", "--", "---", "—", "——", "–", "/", "无", "空", "n/a", "na", "null", "none", "#n/a"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def text_of(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell)


def is_empty(cell: object) -> bool:
    return cell is None or normalize(text_of(cell)) in EMPTY


def check_text(cell: object) -> tuple[str | None, str | None]:
    if is_empty(cell):
        return None, None
    text = text_of(cell).strip()
    if _CONTROL.search(text):
        return None, f"control character {_CONTROL.search(text).group()!r} in '{text[:40]}'"
    return text, None


def parse_number(cell: object, percent_ok: bool = False) -> tuple[float | None, str | None]:
    """'1,234.5', '１２３４', ' 12 ', '(12.5)' (negative), numbers stored as text, real numbers;
    '12%' only where a share is expected (`percent_ok`)."""
    if isinstance(cell, bool):
        return None, f"expected a number, got {cell}"
    if isinstance(cell, int | float):
        return (
            (float(cell), None)
            if cell == cell and abs(cell) != float("inf")
            else (None, "not a finite number")
        )
    if is_empty(cell):
        return None, None
    if isinstance(cell, dt.date):
        return None, f"expected a number, got the date {cell.isoformat()}"
    text = normalize(text_of(cell)).replace(",", "").replace("，", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    percent = text.endswith("%")
    if percent and not percent_ok:
        return None, f"expected an amount, got the percentage '{text_of(cell)[:40]}'"
    if percent:
        text = text[:-1]
    if not _NUMBER.match(text):
        return None, f"expected a number, got '{text_of(cell)[:40]}'"
    value = float(text) * (-1 if negative else 1)
    return (value / 100 if percent else value), None


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m", "%Y/%m", "%Y.%m")


def parse_date(cell: object) -> tuple[dt.date | None, str | None]:
    """Real dates, '2021-03-01', '2021/3/1', '2021.3.1', '2021年3月1日', '20210301', '2021-03'
    (the first of the month), and Excel serial numbers."""
    if isinstance(cell, dt.datetime):
        return cell.date(), None
    if isinstance(cell, dt.date):
        return cell, None
    if is_empty(cell):
        return None, None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 20000 <= cell <= 80000:  # an Excel serial day number (1954–2119)
            return _EXCEL_EPOCH + dt.timedelta(days=int(cell)), None
        if 19000101 <= cell <= 21001231 and float(cell).is_integer():
            cell = str(int(cell))
        else:
            return None, f"expected a date, got {text_of(cell)}"
    text = normalize(text_of(cell).strip().split(" ")[0])
    text = re.sub(
        r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日?)?", lambda m: f"{m[1]}-{m[2]}-{m[3] or 1}", text
    )
    text = text.split("t")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date(), None
        except ValueError:
            continue
    return None, f"expected a date such as 2021-03-01, got '{text_of(cell)[:40]}'"


def parse_year(cell: object) -> tuple[int | None, str | None]:
    if isinstance(cell, dt.date):
        return cell.year, None
    if is_empty(cell):
        return None, None
    text = normalize(text_of(cell))
    m = re.fullmatch(r"((?:19|20)\d{2})(?:\.0)?(?:年(?:度)?)?", text)
    if not m:
        return None, f"expected a year such as 2022, got '{text_of(cell)[:40]}'"
    return int(m.group(1)), None


def parse_uscc(cell: object) -> tuple[str | None, str | None]:
    """Upper case, no spaces or hyphens, full-width folded; then the GB 32100 check."""
    if is_empty(cell):
        return None, None
    code = re.sub(r"[\s\-_]", "", unicodedata.normalize("NFKC", text_of(cell))).upper()
    problem = uscc_problem(code)
    return (code, None) if problem is None else (None, f"invalid USCC '{text_of(cell)}': {problem}")


def parse_code(cell: object) -> tuple[str | None, str | None]:
    return check_text(unicodedata.normalize("NFKC", text_of(cell)) if not is_empty(cell) else None)


_INDUSTRY_BY_NAME = None


def parse_industry(cell: object) -> tuple[str | None, str | None]:
    """'2614', 'C2614', '2614 有机化学原料制造' or the class name alone."""
    global _INDUSTRY_BY_NAME
    if is_empty(cell):
        return None, None
    text = normalize(text_of(cell))
    m = re.match(r"^[a-t]?(\d{4})", text)
    if m and m.group(1) in industry_classes():
        return m.group(1), None
    if _INDUSTRY_BY_NAME is None:
        _INDUSTRY_BY_NAME = {
            normalize(r["name_zh"]): c for c, r in industries().items() if c in industry_classes()
        }
    if text in _INDUSTRY_BY_NAME:
        return _INDUSTRY_BY_NAME[text], None
    return (
        None,
        f"'{text_of(cell)}' is not a GB/T 4754-2017 class (4 digits, e.g. 2614, or its name)",
    )


def parse_division(cell: object) -> tuple[str | None, str | None]:
    """A 6/9/12-digit code, or a Zhenhai subdistrict or town by name ('蛟川街道', '蛟川')."""
    if is_empty(cell):
        return None, None
    text = normalize(text_of(cell))
    if re.fullmatch(r"\d{6}(\d{3})?(\d{3})?", text):
        return (text[:9] if len(text) == 12 and text.endswith("000") else text), None
    for code, name in divisions().items():
        short = name.removesuffix("街道").removesuffix("镇")
        if text in (name, short):
            return code, None
    return None, f"'{text_of(cell)}' is not a division code nor a known subdistrict or town"


def _lookup(
    table: dict[str, tuple[str, ...]], what: str, cell: object
) -> tuple[str | None, str | None]:
    if is_empty(cell):
        return None, None
    text = normalize(text_of(cell))
    for code, names in table.items():
        if text in {normalize(n) for n in names}:
            return code, None
    for code, names in table.items():  # a longer description containing a known name
        if any(normalize(n) in text for n in names if len(n) > 2):
            return code, None
    return None, f"unknown {what} '{text_of(cell)[:40]}' (expected one of {', '.join(table)})"


def parse_event(cell: object):
    return _lookup(EVENT_KINDS, "event kind", cell)


def parse_qualification(cell: object):
    return _lookup(QUALIFICATION_KINDS, "qualification", cell)


def parse_scale(cell: object):
    return _lookup(SCALES, "scale", cell)


def parse_parcel_status(cell: object):
    return _lookup(PARCEL_STATUSES, "land status", cell)


_LEVELS = {
    "national": ("国家级", "国家", "national"),
    "provincial": ("省级", "省", "provincial"),
    "municipal": ("市级", "市", "municipal"),
    "district": ("区级", "区", "县级", "district"),
}


def parse_level(cell: object):
    if is_empty(cell):
        return None, None
    value, _ = _lookup(_LEVELS, "level", cell)
    return (value or text_of(cell).strip()), None


PARSERS = {
    "uscc": parse_uscc,
    "text": check_text,
    "code": parse_code,
    "industry": parse_industry,
    "division": parse_division,
    "date": parse_date,
    "year": parse_year,
    "scale": parse_scale,
    "event": parse_event,
    "qualification": parse_qualification,
    "level": parse_level,
    "parcel_status": parse_parcel_status,
}
