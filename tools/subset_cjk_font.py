"""Build the CJK font the PDF reports embed: Noto Sans CJK SC cut down to GB 2312.

The reports must render Chinese on a machine with no CJK font installed, so the font ships inside
the package (mujun/reports/fonts/). Noto Sans CJK is under the SIL Open Font License 1.1, which
allows a modified (subset) copy to be bundled; the copy is renamed "Mujun Sans SC" so it is never
mistaken for the full font, and the licence travels with it (OFL.txt).

Run once, on a machine with Debian's fonts-noto-cjk:
    python tools/subset_cjk_font.py /usr/share/fonts/opentype/noto mujun/reports/fonts
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTCollection

FAMILY = "Mujun Sans SC"
SOURCES = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}


def gb2312() -> str:
    """Every character GB 2312 encodes (its 6763 hanzi, punctuation, Latin, Greek, Cyrillic)."""
    chars = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.append(bytes([hi, lo]).decode("gb2312"))
    return "".join(chars)


def text() -> str:
    ascii_ = "".join(chr(c) for c in range(0x20, 0x7F))
    extra = "•◆◇≥≤×÷±·—–‘’“”…‰℃№●○■□▲△▼▽★☆→←↑↓√✓✗％（）：；，。、《》【】「」－＋／　"
    return ascii_ + extra + gb2312()


def sc_face(collection: Path):
    ttc = TTCollection(str(collection))
    for font in ttc.fonts:
        if font["name"].getDebugName(1).endswith(" SC"):
            return font
    raise SystemExit(f"{collection}: no SC face")


def rename(font, style: str) -> None:
    ps = f"MujunSansSC-{style}"
    names = {
        1: FAMILY,
        2: style,
        3: f"{ps};subset of Noto Sans CJK SC",
        4: f"{FAMILY} {style}",
        6: ps,
    }
    names[16], names[17] = FAMILY, style
    table = font["name"]
    table.names = [n for n in table.names if n.nameID not in names]
    for nid, value in names.items():
        table.setName(value, nid, 3, 1, 0x409)
        table.setName(value, nid, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{FAMILY} {style}", FAMILY


def main(src: str, out: str) -> None:
    options = Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    for style, filename in SOURCES.items():
        font = sc_face(Path(src) / filename)
        sub = Subsetter(options)
        sub.populate(text=text())
        sub.subset(font)
        rename(font, style)
        target = Path(out) / f"MujunSansSC-{style}.otf"
        font.save(str(target))
        print(f"{target}: {target.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
