"""Read the bureaus' files, as they come, into rows of raw cells — safely.

`read_file(path)` returns every sheet of an .xlsx/.xlsm/.xls workbook, or the one table of a
.csv/.txt file, as `Sheet`s whose `rows[i]` is the file's row i+1. Nothing is interpreted here:
title and note rows, one- or two-row headers, merged cells and totals rows all come back as they
are (finding the table is mujun.ingest.table's job).

Every way a file can be wrong ends in a `ReadError` whose message names the file (and sheet) and
says what is wrong — never in another exception, and within bounded memory and time:

- The file's extension and its content (magic bytes) must agree. A ".xls" that is really an HTML
  page or a text file (as many government systems export) is named for what it is.
- Before an .xlsx is opened, its zip central directory is inspected without decompressing anything:
  not a zip, too many parts, parts that unpack to more than `Limits.max_uncompressed` or any part
  that unpacks more than `Limits.max_ratio` times its packed size ("looks like a zip bomb").
- Workbooks are parsed by calamine (Rust) in a forked child process with a memory limit
  (RLIMIT_AS), a CPU limit and a wall-clock deadline, and the rows are streamed back. calamine
  builds each sheet as a dense rectangle, so a tiny file with one cell in A1 and one in XFD1048576
  asks for 500 GB and would abort the whole process; in the child that, a Rust panic, a crash or a
  hang only ends the child, and the parent raises a ReadError. Where fork() is not available
  (Windows) the workbook is parsed in-process without that protection.
- Before calamine builds an .xlsx sheet, the child scans the sheet's XML for its declared size
  (<dimension ref>) and for cell and row references beyond `Limits.max_columns`/`max_rows`, and
  refuses the sheet by name: a hostile file is told apart from a damaged one.
- A workbook cell longer than `Limits.max_cell_chars` (Excel cannot make one) is refused too.
- `sheet_names(path)` gives a workbook's sheet names through the same checks and sandbox, without
  reading any cell.
- A CSV is never read at all when it is larger than `Limits.max_bytes`; otherwise it is decoded and
  parsed as a stream (csv module, bounded line length, csv.field_size_limit for cells).

Cells are None, str, int, float, bool, datetime.date or datetime.datetime:
- workbooks: numbers come back as calamine gives them (an .xlsx integer is a float, 3.0); dates as
  date/datetime; a time-only cell as its text "08:30:00" and a duration as "36:30:00"; a formula
  cell as its cached value — a formula saved without one (files written by some libraries, never by
  Excel/WPS) and error cells (#DIV/0!, #N/A) come back as None, as calamine gives them. A merged
  range has its value in its top-left cell and None in the others.
- CSV: every cell is a str, or None when empty.
- Empty cells are None, trailing empty cells are trimmed, and a fully empty row is [] and kept so
  that row numbers stay true. Control characters inside cells are kept as they are.

CSV row numbers: rows[i] is the file's (i+1)-th record — the row number Excel or WPS shows when it
opens the file. It is also the line number unless an earlier record has a quoted field with a line
break in it (such a record is one row, numbered by where it starts).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import faulthandler
import gc
import io
import itertools
import os
import pickle
import re
import select
import signal
import stat
import struct
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["Limits", "ReadError", "Sheet", "read_file", "sheet_names"]


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 512 * 2**20  # file size on disk
    max_uncompressed: int = 1 * 2**30  # xlsx: total uncompressed size of the zip members
    max_ratio: float = 200.0  # xlsx: any member's uncompressed/compressed ratio (zip bomb)
    max_columns: int = 1000
    max_rows: int = 2_000_000
    max_cell_chars: int = 32_767  # Excel's own cell limit


@dataclass(frozen=True)
class Sheet:
    file: str
    """The file's name as the user gave it (for messages)."""
    name: str
    """Sheet name; "" for a CSV."""
    rows: list[list[object]]
    """rows[i] is the file's row i+1; see the module docstring for the cells."""
    encoding: str = ""
    """For a CSV: the encoding detected (utf-8, utf-8-sig, gb18030, utf-16, utf-32)."""


class ReadError(Exception):
    """A file that cannot be read; str() is a clear one-line message naming the file (and sheet)
    and what is wrong."""

    def __init__(self, file: str, reason: str, sheet: str = ""):
        reason = " ".join(str(reason).split())
        if len(reason) > 500:
            reason = reason[:497] + "..."
        super().__init__(file, reason, sheet)
        self.file = file
        self.reason = reason
        self.sheet = sheet

    def __str__(self) -> str:
        where = f"{self.file}, sheet '{self.sheet}'" if self.sheet else self.file
        return f"{where}: {self.reason}"


Progress = Callable[[int, int], None]

WORKBOOK_EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
CHUNK_ROWS = 10_000
"""Rows per chunk streamed from the child, and between two progress calls."""
HEAD_BYTES = 64 * 1024
"""How much of a file is looked at to tell what it is and how its text is encoded."""
MAX_ZIP_MEMBERS = 10_000
MIN_RATIO_BYTES = 1 * 2**20
"""A zip member smaller than this unpacks to too little to matter, whatever its ratio (tiny
all-zero parts such as printer settings compress several hundred times)."""
CHILD_MEMORY_BASE = 512 * 2**20
CHILD_MEMORY_PER_BYTE = 32
CHILD_MEMORY_MAX = 4 * 2**30
"""The child's address-space allowance over what it inherits: 512 MB + 32 bytes per byte of data
(the workbook's uncompressed parts, or the .xls file), at most 4 GB (or 4× max_uncompressed). The
200,000-row tax export (80 MB of XML) needs about 1 GB."""
CHILD_SECONDS_BASE = 60.0
CHILD_BYTES_PER_SECOND = 5 * 2**20
"""The child's deadline: 60 s + 1 s per 5 MB of data (calamine parses about 90 MB of sheet XML a
second here); its CPU limit is 10 s more."""
SANDBOX = hasattr(os, "fork") and sys.platform != "win32"
"""Parse workbooks in a forked child (see the module docstring); tests switch it off."""

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OTHER_MAGICS = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF document"),
)
BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAVE_AS = "open it in Excel or WPS and save it as .xlsx (or as .csv)"


def read_file(
    path: str | Path,
    limits: Limits = Limits(),
    progress: Progress | None = None,
    sheets: Collection[str] | None = None,
) -> list[Sheet]:
    """Every sheet of an .xlsx/.xlsm/.xls workbook (hidden sheets included, in workbook order,
    empty sheets skipped), or the one table of a .csv/.txt file. With `sheets`, only the
    workbook's sheets of those names are read (the others are not even parsed)."""
    name = str(path)
    ext, head, size = _open(path, name, limits)
    what = _identify(head)
    if ext in WORKBOOK_EXTENSIONS:
        kind, work = _check_workbook(path, name, ext, what, limits, size)
        wanted = None if sheets is None else frozenset(sheets)
        return _sandboxed(
            path,
            name,
            limits,
            work,
            lambda: _workbook_frames(str(path), kind, limits, wanted),
            lambda frames: _collect(frames, name, kind, limits, progress),
        )
    if ext in TEXT_EXTENSIONS:
        _check_text_kind(name, ext, what)
        return _read_csv(path, name, limits, progress, head, size)
    raise ReadError(
        name,
        f"unsupported file type '{ext or '(no extension)'}': expected .xlsx, .xlsm, .xls, .csv "
        f"or .txt ({_describe(what)})",
    )


def sheet_names(path: str | Path, limits: Limits = Limits()) -> list[str]:
    """The names of a workbook's worksheets, in workbook order, with the checks and the sandbox of
    `read_file` but without reading any cell."""
    name = str(path)
    ext, head, size = _open(path, name, limits)
    what = _identify(head)
    if ext not in WORKBOOK_EXTENSIONS:
        raise ReadError(name, f"not a workbook: expected .xlsx, .xlsm or .xls ({_describe(what)})")
    _kind, work = _check_workbook(path, name, ext, what, limits, size)
    return _sandboxed(
        path, name, limits, work, lambda: _name_frames(str(path)), lambda f: _names(f, name)
    )


def _open(path: str | Path, name: str, limits: Limits) -> tuple[str, bytes, int]:
    """(extension, first bytes, size) of a regular file within the size limit."""
    size = _check_file(path, name, limits)
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise ReadError(name, f"cannot open the file: {exc.strerror or exc}") from None
    return Path(path).suffix.lower(), head, size


def _check_workbook(
    path: str | Path, name: str, ext: str, what: str, limits: Limits, size: int
) -> tuple[str, int]:
    """(xlsx or xls, bytes of data to parse) of a workbook whose content fits its extension and,
    for an .xlsx, whose zip passes `_inspect_zip`."""
    kind = WORKBOOK_EXTENSIONS[ext]
    _check_workbook_kind(name, ext, kind, what, path, size)
    return kind, _inspect_zip(path, name, limits, size) if kind == "xlsx" else size


# --- what a file is -------------------------------------------------------------------------------


def _check_file(path: str | Path, name: str, limits: Limits) -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ReadError(name, "no such file") from None
    except OSError as exc:
        raise ReadError(name, f"cannot open the file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ReadError(name, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ReadError(name, "is not a regular file")
    if st.st_size > limits.max_bytes:
        raise ReadError(
            name,
            f"the file is {_size(st.st_size)}, over the limit of {_size(limits.max_bytes)}",
        )
    if st.st_size == 0:
        raise ReadError(name, "the file is empty (0 bytes)")
    return st.st_size


def _identify(head: bytes) -> str:
    """zip, ole2, html, xml2003, xml, mht, text, binary, or 'other:<description>'."""
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    for magic, description in OTHER_MAGICS:
        if head.startswith(magic):
            return "other:" + description
    text = _decode_head(head)
    if text is None:
        return "binary"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith("mime-version:"):
        return "mht"
    if start.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start:
            return "xml2003"
        return "html" if "<html" in start else "xml"
    if start.startswith(("<!doctype html", "<html", "<table", "<head", "<meta", "<body", "<!--")):
        return "html"
    if len(CONTROL.findall(text)) > max(8, len(text) // 10):
        return "binary"
    return "text"


def _decode_head(head: bytes) -> str | None:
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return head.decode(encoding, errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def _describe(what: str) -> str:
    if what.startswith("other:"):
        return "it is " + what[6:]
    return {
        "zip": "it is a zip archive, such as an .xlsx workbook",
        "ole2": "it is an OLE2 file, such as an old .xls workbook",
        "html": "it is an HTML page",
        "xml2003": "it is an Excel 2003 XML spreadsheet",
        "xml": "it is an XML file",
        "mht": "it is a saved web page (.mht)",
        "text": "it is a text file",
        "binary": "it is binary data",
    }[what]


def _check_workbook_kind(
    name: str, ext: str, kind: str, what: str, path: str | Path, size: int
) -> None:
    if (kind, what) in (("xlsx", "zip"), ("xls", "ole2")):
        return
    if what == "ole2":  # named .xlsx
        if _is_encrypted_ole2(path, size):
            raise ReadError(
                name,
                "the workbook is password-protected (encrypted): remove the password in Excel "
                "or WPS and save it again",
            )
        raise ReadError(
            name,
            f"not an {ext} workbook: it is an old-format .xls workbook (OLE2) with an {ext} "
            "name; rename it to .xls, or save it as .xlsx",
        )
    if what == "zip":  # named .xls
        raise ReadError(
            name,
            f"not an {ext} workbook: it is an .xlsx workbook (a zip) with an {ext} name; "
            "rename it to .xlsx",
        )
    if what == "text":
        raise ReadError(
            name,
            f"not an {ext} workbook: it is a text file (probably tab- or comma-separated) with an "
            f"{ext} name; rename it to .csv, or {SAVE_AS}",
        )
    if what in ("html", "mht", "xml2003"):
        raise ReadError(
            name,
            f"not an {ext} workbook: {_describe(what)} with an {ext} name (a web export); "
            f"{SAVE_AS}",
        )
    if kind == "xlsx":
        raise ReadError(
            name,
            f"not an {ext} workbook: the content is not a zip archive "
            f"({_describe(what)}; damaged, or another kind of file)",
        )
    raise ReadError(
        name,
        f"not an {ext} workbook: the content is not an Excel 97-2003 (OLE2) "
        f"file ({_describe(what)}; damaged, or another kind of file)",
    )


def _is_encrypted_ole2(path: str | Path, size: int) -> bool:
    """An encrypted .xlsx is an OLE2 file with an 'EncryptedPackage' stream; its directory entry
    is usually near the start or the end of the file."""
    marker = "EncryptedPackage".encode("utf-16-le")
    try:
        with open(path, "rb") as f:
            start = f.read(1 << 20)
            f.seek(max(0, size - (1 << 20)))
            end = f.read(1 << 20)
    except OSError:
        return False
    return marker in start or marker in end


def _check_text_kind(name: str, ext: str, what: str) -> None:
    if what == "zip":
        raise ReadError(
            name,
            f"not a text {ext} file: it is a zip archive, probably an .xlsx workbook with a "
            f"{ext} name; rename it to .xlsx",
        )
    if what == "ole2":
        raise ReadError(
            name,
            f"not a text {ext} file: it is an OLE2 file, probably an .xls workbook with a "
            f"{ext} name; rename it to .xls",
        )
    if what in ("html", "mht", "xml2003") or what.startswith("other:"):
        raise ReadError(name, f"not a text {ext} table: {_describe(what)}; {SAVE_AS}")
    # binary content is told apart by the encoding and control-character checks


# --- xlsx: the zip, before anything is decompressed ------------------------------------------------


def _inspect_zip(path: str | Path, name: str, limits: Limits, size: int) -> int:
    """Checks the central directory; returns the total uncompressed size."""
    prefix = "not an .xlsx workbook"
    try:
        with open(path, "rb") as f:
            f.seek(max(0, size - (65535 + 22)))
            tail = f.read()
    except OSError as exc:
        raise ReadError(name, f"cannot read the file: {exc.strerror or exc}") from None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise ReadError(
            name,
            f"{prefix}: the zip archive is truncated or damaged (no central directory at its end)",
        )
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF or entries > MAX_ZIP_MEMBERS:
        raise ReadError(name, f"{prefix}: the zip archive has too many parts for a workbook")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except Exception as exc:  # BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError...
        raise ReadError(
            name, f"{prefix}: the zip archive is truncated or damaged ({exc})"
        ) from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ReadError(name, f"{prefix}: the zip archive has too many parts for a workbook")
    names = {info.filename.lower() for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            what = "a binary .xlsb workbook; save it as .xlsx"
        elif "word/document.xml" in names:
            what = "a Word document"
        elif any(n.startswith("ppt/") for n in names):
            what = "a PowerPoint presentation"
        elif "content.xml" in names and "mimetype" in names:
            what = "an OpenDocument file (.ods); save it as .xlsx"
        else:
            what = "a zip archive without xl/workbook.xml"
        raise ReadError(name, f"{prefix}: it is {what}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= MIN_RATIO_BYTES and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ReadError(
                name,
                f"looks like a zip bomb: its part {info.filename} unpacks {ratio:,.0f} times its "
                f"packed size ({_size(info.compress_size)} to {_size(info.file_size)}; the limit "
                f"is {limits.max_ratio:,.0f} times)",
            )
    if total > limits.max_uncompressed:
        raise ReadError(
            name,
            f"looks like a zip bomb: its parts unpack to {_size(total)}, over the limit of "
            f"{_size(limits.max_uncompressed)}",
        )
    return total


# --- workbooks: calamine, in a child process -------------------------------------------------------


def _sandboxed(
    path: str | Path,
    name: str,
    limits: Limits,
    work: int,
    produce: Callable[[], Iterator[tuple]],
    consume: Callable[[Iterator[tuple[tuple, bool, bool]]], object],
):
    """consume(frames) of the frames produce() makes in a forked child with memory, CPU and time
    limits (in-process where fork() is not available); the child's death is a ReadError."""
    if not SANDBOX:
        return _in_process(name, produce, consume)
    timeout = CHILD_SECONDS_BASE + work / CHILD_BYTES_PER_SECOND
    deadline = time.monotonic() + timeout
    read_fd, write_fd = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, 3.12+
            pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return _in_process(name, produce, consume)
    if pid == 0:  # the child: never returns
        budget = min(
            CHILD_MEMORY_BASE + CHILD_MEMORY_PER_BYTE * work,
            max(CHILD_MEMORY_MAX, 4 * limits.max_uncompressed),
        )
        _child(read_fd, write_fd, produce, timeout, budget)
    os.close(write_fd)
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(read_fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    pipe = _Pipe(read_fd, deadline, limits.max_cell_chars)
    try:
        with _gc_paused():
            return consume(pipe.frames())
    except _ChildGone as gone:
        status = _reap(pid, grace=5.0)
        pid = 0
        raise ReadError(name, _died(status), gone.sheet) from None
    except _Timeout:
        raise ReadError(
            name,
            f"reading the workbook took longer than {timeout:.0f} s: it is too large or damaged",
        ) from None
    finally:
        os.close(read_fd)
        if pid:
            _reap(pid, grace=0.5)


def _in_process(
    name: str,
    produce: Callable[[], Iterator[tuple]],
    consume: Callable[[Iterator[tuple[tuple, bool, bool]]], object],
):
    frames = ((frame, True, True) for frame in produce())
    try:
        with _gc_paused():
            return consume(frames)
    except _ChildGone:
        raise ReadError(name, "the workbook reader stopped unexpectedly") from None


def _child(
    read_fd: int,
    write_fd: int,
    produce: Callable[[], Iterator[tuple]],
    timeout: float,
    budget: int,
) -> None:
    code = 0
    try:
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # Rust's "memory allocation of … failed" and backtraces
        faulthandler.disable()  # its dump of an abort goes to a saved copy of stderr
        gc.disable()  # no cycles are made here, and the child is short-lived
        _limit_child(timeout, budget)
        for frame in produce():
            _send(write_fd, frame)
    except BaseException as exc:
        code = 1
        with contextlib.suppress(BaseException):
            _send(write_fd, ("error", "", f"the reader failed: {type(exc).__name__}: {exc}"))
    finally:
        os._exit(code)


def _limit_child(timeout: float, budget: int) -> None:
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        seconds = int(timeout) + 10
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    inherited = _address_space()
    if inherited:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (inherited + budget, inherited + budget))


def _address_space() -> int:
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _send(fd: int, frame: tuple) -> None:
    data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, struct.pack("<Q", len(data)))
    _write_all(fd, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _reap(pid: int, grace: float) -> int:
    """The child's wait status, after killing it if it has not exited within `grace` seconds."""
    until = time.monotonic() + grace
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= until:
            break
        time.sleep(0.01)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _died(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGABRT:
            return (
                "reading the workbook needs more memory than allowed: its cells span an enormous "
                "area (cells far apart, e.g. one in A1 and one in XFD1048576), or it is damaged"
            )
        if sig == signal.SIGXCPU:
            return "reading the workbook took too long: it is too large or damaged"
        if sig == signal.SIGKILL:
            return (
                "the workbook reader was killed (out of memory or time): the file is too large "
                "or damaged"
            )
        return (
            f"the workbook reader crashed on this file ({signal.Signals(sig).name}): it is damaged"
        )
    return "the workbook reader stopped unexpectedly: the file is probably damaged"


class _ChildGone(Exception):
    sheet = ""


class _Timeout(Exception):
    pass


class _Unpickler(pickle.Unpickler):
    """Only the datetime types may be named in the child's frames."""

    odd = False  # a datetime.time or timedelta was seen

    def find_class(self, module: str, name: str) -> object:
        if module == "datetime" and name in ("date", "datetime", "time", "timedelta"):
            if name in ("time", "timedelta"):
                self.odd = True
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name}")


class _Pipe:
    """Length-prefixed pickled frames from the child."""

    def __init__(self, fd: int, deadline: float, max_cell_chars: int):
        self.fd = fd
        self.deadline = deadline
        self.max_cell_chars = max_cell_chars
        self.buf = bytearray()

    def _fill(self, n: int) -> bool:
        while len(self.buf) < n:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                raise _Timeout
            data = os.read(self.fd, max(n - len(self.buf), 1 << 20))
            if not data:
                return False
            self.buf += data
        return True

    def frames(self) -> Iterator[tuple[tuple, bool, bool]]:
        """(frame, has a time or timedelta, may have a string over max_cell_chars)."""
        while True:
            if not self._fill(8):
                raise _ChildGone
            (n,) = struct.unpack_from("<Q", self.buf)
            if not self._fill(8 + n):
                raise _ChildGone
            data = bytes(self.buf[8 : 8 + n])
            del self.buf[: 8 + n]
            unpickler = _Unpickler(io.BytesIO(data))
            frame = unpickler.load()
            yield frame, unpickler.odd, _may_have_long_string(data, self.max_cell_chars)


def _may_have_long_string(data: bytes, max_chars: int) -> bool:
    """A pickled str of more than 255 UTF-8 bytes is BINUNICODE: b'X' and its length in 4 bytes.
    Any b'X' followed by a length over max_chars that fits in the data may be one (a character
    takes at least one byte); the cells are then checked one by one. (An 'X' inside a string or a
    float is followed by bytes that make an impossible length, or makes a harmless false alarm.)
    In data under 16 MB such a length ends in a zero byte, which the regex asks for first."""
    if max_chars < 256:
        return True  # shorter strings are SHORT_BINUNICODE, with a one-byte length
    if len(data) <= max_chars:
        return False
    candidates = (
        (m.start() for m in _BINUNICODE.finditer(data))
        if len(data) < 2**24
        else (i for i in range(len(data) - 4) if data[i] == 0x58)
    )
    for at in candidates:
        if at + 5 <= len(data):
            length = struct.unpack_from("<I", data, at + 1)[0]
            if max_chars < length <= len(data) - at - 5:
                return True
    return False


_BINUNICODE = re.compile(rb"X(?=[\x00-\xff]{3}\x00)")


def _workbook_frames(
    path: str, kind: str, limits: Limits, wanted: frozenset[str] | None
) -> Iterator[tuple]:
    """('sheet', name, height), ('rows', [...]) ..., then ('done',) — or ('error', sheet, reason).
    Run in the child (or in-process without fork); never raises (but for interruption)."""
    sheet_name = ""
    try:
        parts = _sheet_parts(path) if kind == "xlsx" else {}
        with _opened(path) as workbook:
            for index, meta in enumerate(workbook.sheets_metadata):
                sheet_name = meta.name
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue  # chart and dialog sheets have no cells
                if wanted is not None and sheet_name not in wanted:
                    continue
                yield ("open", sheet_name)
                if sheet_name in parts:
                    too_big = _declared_extent_problem(path, parts[sheet_name], limits)
                    if too_big:
                        yield ("error", sheet_name, too_big)
                        return
                sheet = workbook.get_sheet_by_index(index)
                start, end = sheet.start, sheet.end
                if start is None or end is None:
                    continue
                height, width = end[0] + 1, end[1] + 1
                too_big = _extent_problem(height, width, limits)
                if too_big:
                    yield ("error", sheet_name, too_big)
                    return
                yield ("sheet", sheet_name, height)
                yield from _sheet_chunks(sheet, start, width - start[1])
        yield ("done",)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except _Refused as refused:
        yield ("error", "", refused.reason)
    except MemoryError:
        yield ("error", sheet_name, "reading the workbook needs more memory than allowed")
    except BaseException as exc:  # CalamineError and pyo3's PanicException (a BaseException)
        yield _damaged(sheet_name, exc)


def _name_frames(path: str) -> Iterator[tuple]:
    """('names', [worksheet names]), ('done',) — or ('error', '', reason); run like
    `_workbook_frames`. calamine reads the workbook's index, not its sheets."""
    try:
        with _opened(path) as workbook:
            names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        yield ("names", names)
        yield ("done",)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except _Refused as refused:
        yield ("error", "", refused.reason)
    except MemoryError:
        yield ("error", "", "reading the workbook needs more memory than allowed")
    except BaseException as exc:
        yield _damaged("", exc)


def _names(frames: Iterator[tuple[tuple, bool, bool]], name: str) -> list[str]:
    names: list[str] | None = None
    for frame, _odd, _long in frames:
        if frame[0] == "error":
            raise ReadError(name, frame[2], frame[1])
        if frame[0] == "names":
            names = frame[1]
        elif frame[0] == "done" and names is not None:
            return names
    raise _ChildGone


class _Refused(Exception):
    def __init__(self, reason: str):
        self.reason = reason


@contextlib.contextmanager
def _opened(path: str) -> Iterator[CalamineWorkbook]:
    try:
        workbook = CalamineWorkbook.from_path(path)
    except PasswordError:
        raise _Refused(
            "the workbook is password-protected: remove the password in Excel or WPS and save it "
            "again"
        ) from None
    with workbook:
        yield workbook


def _damaged(sheet_name: str, exc: BaseException) -> tuple:
    message = str(exc) or type(exc).__name__
    return (
        "error",
        sheet_name,
        f"cannot read the {'sheet' if sheet_name else 'workbook'}: "
        f"it is damaged or not a real workbook ({message})",
    )


def _extent_problem(height: int, width: int, limits: Limits, declared: str = "") -> str | None:
    """Why a sheet `height` rows by `width` columns is refused, or None. `declared` names the
    <dimension ref> the size comes from."""
    what = f"declares its size as {declared}, " if declared else "is "
    if width > limits.max_columns:
        return (
            f"the sheet {what}{width:,} columns wide (to column {_column(width - 1)}), over the "
            f"limit of {limits.max_columns:,}"
        )
    if height > limits.max_rows:
        what = f"declares its size as {declared}, " if declared else "has "
        return f"the sheet {what}{height:,} rows, over the limit of {limits.max_rows:,}"
    return None


# --- xlsx: a sheet's size, from its XML, before calamine builds it ---------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\sref="([^"]*)"')
_REFERENCE = re.compile(rb"([A-Za-z]*)([0-9]+)")


def _sheet_parts(path: str) -> dict[str, str]:
    """Worksheet name → its zip member, from xl/workbook.xml and its relationships. Parsed in the
    child: the XML is the file's, sized by `_inspect_zip` but otherwise untrusted."""
    from xml.etree import ElementTree

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    with zipfile.ZipFile(path) as zf:
        members = {n.lower(): n for n in zf.namelist()}

        def read(member: str) -> ElementTree.Element | None:
            found = members.get(member.lower())
            return ElementTree.fromstring(zf.read(found)) if found else None

        book, rels = read("xl/workbook.xml"), read("xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return {}
    targets = {
        r.get("Id"): r.get("Target", "") for r in rels.iter() if local(r.tag) == "Relationship"
    }
    parts = {}
    for sheet in book.iter():
        if local(sheet.tag) != "sheet":
            continue
        rel = next((v for k, v in sheet.attrib.items() if local(k) == "id"), None)
        target = targets.get(rel, "")
        if target:
            member = target.lstrip("/") if target.startswith("/") else "xl/" + target
            member = os.path.normpath(member).replace(os.sep, "/")
            if member.lower() in members:
                parts[sheet.get("name", "")] = members[member.lower()]
    return parts


def _declared_extent_problem(path: str, member: str, limits: Limits) -> str | None:
    """Why the sheet in `member` is refused before calamine builds it as a dense rectangle, or
    None: its <dimension ref> or a cell or row reference beyond the limits. The XML is streamed;
    only references long enough to be beyond the limits are looked at closely."""
    letters = len(_column(limits.max_columns - 1))
    digits = len(str(limits.max_rows))
    # r=" as a literal prefix lets the regex engine skip ahead (three times faster than \sr=")
    far = re.compile(rb'r="([A-Za-z]{%d,}[0-9]+|[A-Za-z]*[0-9]{%d,})"' % (letters, digits))
    carry = b""
    dimension_seen = False
    with zipfile.ZipFile(path) as zf, zf.open(member) as stream:
        while chunk := stream.read(1 << 20):
            data = carry + chunk
            cut = data.rfind(b">") + 1  # no reference spans a '>': split after the last one
            data, carry = data[:cut], data[cut:][-4096:]
            if not dimension_seen and (m := _DIMENSION.search(data)):
                dimension_seen = True
                for ref in m.group(1).split(b":"):
                    height, width = _position(ref)
                    declared = m.group(1).decode("ascii", "replace")
                    if problem := _extent_problem(height, width, limits, declared):
                        return problem
            for m in far.finditer(data):
                if data[m.start() - 1 : m.start()] not in (b" ", b"\t", b"\r", b"\n"):
                    continue  # another attribute whose name ends in r (header=, footer=)
                height, width = _position(m.group(1))
                if problem := _extent_problem(height, width, limits):
                    ref = m.group(1).decode("ascii")
                    return f"{problem}: it has a cell or row at {ref}"
    return None


def _position(ref: bytes) -> tuple[int, int]:
    """(row, column), both from 1, of a reference such as b'XFD1048576' (b'1048576' for a row);
    (0, 0) for what is not a reference."""
    m = _REFERENCE.fullmatch(ref)
    if not m:
        return 0, 0
    column = 0
    for letter in m.group(1).upper():
        column = column * 26 + letter - 64
    return int(m.group(2)), column


def _sheet_chunks(sheet, start: tuple[int, int], width: int) -> Iterator[tuple]:
    """('rows', cleaned rows) frames, CHUNK_ROWS at a time, converted as they go (the parent
    unpickles a chunk while the next is made). calamine 0.9's iter_rows() starts at row 1 but at
    the first non-empty column; that is checked on the first row rather than relied on."""
    rows = sheet.iter_rows()
    first = next(rows, None)
    if first is None:
        return
    top, left = start
    if top and any(c != "" for c in first):  # started at the first non-empty row
        yield ("rows", [[] for _ in range(top)])
    pad = [None] * left if len(first) == width else []
    yield ("rows", _clean([first, *itertools.islice(rows, CHUNK_ROWS - 1)], pad))
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        yield ("rows", _clean(chunk, pad))


def _clean(rows: list[list], pad: list) -> list[list]:
    """'' → None, trailing empty cells trimmed, leading empty columns put back."""
    out = []
    for row in rows:
        if "" in row:
            row = [None if c == "" else c for c in row]
            while row and row[-1] is None:
                row.pop()
        if pad and row:
            row = pad + row
        out.append(row)
    return out


def _collect(
    frames: Iterator[tuple[tuple, bool, bool]],
    name: str,
    kind: str,
    limits: Limits,
    progress: Progress | None,
) -> list[Sheet]:
    sheets: list[Sheet] = []
    current: Sheet | None = None
    opening = ""
    done = total = 0
    last_call = -1
    try:
        for frame, odd, maybe_long in frames:
            tag = frame[0]
            if tag == "open":
                opening = frame[1]
            elif tag == "sheet":
                current = Sheet(name, frame[1], [])
                sheets.append(current)
                total += frame[2]
            elif tag == "rows":
                if current is None:
                    raise _ChildGone
                rows = frame[1]
                if odd:
                    rows = _fix_odd(rows)
                if maybe_long:
                    _check_cells(rows, name, current.name, limits, len(current.rows))
                current.rows.extend(rows)
                done += len(rows)
                if progress and done - last_call >= CHUNK_ROWS:
                    progress(done, total)
                    last_call = done
            elif tag == "error":
                raise ReadError(name, frame[2], frame[1])
            elif tag == "done":
                if progress and last_call != done:
                    progress(done, total)
                return [s for s in sheets if any(s.rows)]
        raise _ChildGone
    except _ChildGone as gone:
        gone.sheet = opening
        raise


def _fix_odd(rows: list[list]) -> list[list]:
    """datetime.time → '08:30:00'; timedelta → '36:30:00'."""
    out = []
    for row in rows:
        if any(isinstance(c, datetime.time | datetime.timedelta) for c in row):
            row = [_odd_text(c) for c in row]
        out.append(row)
    return out


def _odd_text(cell: object) -> object:
    if isinstance(cell, datetime.time):
        return cell.isoformat()
    if isinstance(cell, datetime.timedelta):
        seconds = round(cell.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return cell


def _check_cells(rows: list[list], name: str, sheet: str, limits: Limits, offset: int) -> None:
    """Refuses a cell over max_cell_chars (Excel cannot make one; a hostile file can)."""
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise ReadError(
                    name,
                    f"cell {_column(j)}{offset + i + 1} has {len(cell):,} characters, over the "
                    f"limit of {limits.max_cell_chars:,}",
                    sheet,
                )


# --- CSV -------------------------------------------------------------------------------------------


class _Undecodable(Exception):
    def __init__(self, line: int):
        self.line = line


def _read_csv(
    path: str | Path, name: str, limits: Limits, progress: Progress | None, head: bytes, size: int
) -> list[Sheet]:
    encoding = _csv_encoding(name, head, whole=size <= len(head))
    try:
        with _gc_paused():
            rows = _parse_csv(path, name, encoding, limits, progress)
    except _Undecodable as exc:
        raise ReadError(
            name,
            f"line {exc.line} is not valid {_encoding_label(encoding)} while the lines before it "
            "are: the file mixes encodings or is damaged",
        ) from None
    except OSError as exc:
        raise ReadError(name, f"cannot read the file: {exc.strerror or exc}") from None
    return [Sheet(name, "", rows, encoding)] if any(rows) else []


def _csv_encoding(name: str, head: bytes, whole: bool) -> str:
    """BOM → its encoding; else strict UTF-8; else GB18030 (a superset of GBK and GB2312)."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=whole)
        return "utf-8"
    except UnicodeDecodeError as exc:
        if whole and exc.start >= len(head) - 3 and not head[: exc.start].isascii():
            raise ReadError(
                name, "the file is UTF-8 but ends in the middle of a character: it is truncated"
            ) from None
    try:
        codecs.getincrementaldecoder("gb18030")("strict").decode(head, final=whole)
        return "gb18030"
    except UnicodeDecodeError:
        pass
    raise ReadError(
        name,
        "the text is neither UTF-8 nor GBK/GB18030 (binary data, or another encoding); save it "
        "again as a UTF-8 CSV",
    )


def _encoding_label(encoding: str) -> str:
    return {"gb18030": "GBK/GB18030", "utf-8-sig": "UTF-8"}.get(encoding, encoding.upper())


def _parse_csv(
    path: str | Path, name: str, encoding: str, limits: Limits, progress: Progress | None
) -> list[list[object]]:
    max_line = limits.max_columns * (limits.max_cell_chars + 3) + 2
    rows: list[list[object]] = []
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        lines = _lines(text, name, max_line)
        sample: list[str] = []
        chars = filled = 0
        for line in lines:
            sample.append(line)
            chars += len(line)
            filled += not line.isspace()
            if filled >= 50 or (chars >= HEAD_BYTES and filled) or chars >= 16 * HEAD_BYTES:
                break
        _refuse_binary(name, "".join(sample))
        delimiter = _delimiter(sample)
        reader = csv.reader(itertools.chain(sample, lines), delimiter=delimiter)
        previous = csv.field_size_limit()
        csv.field_size_limit(limits.max_cell_chars)
        try:
            for row in reader:
                if len(row) > limits.max_columns:
                    raise ReadError(
                        name,
                        f"row {len(rows) + 1} has {len(row):,} columns, over the limit of "
                        f"{limits.max_columns:,}",
                    )
                if "" in row:
                    row = [None if c == "" else c for c in row]
                    while row and row[-1] is None:
                        row.pop()
                rows.append(row)
                if len(rows) > limits.max_rows:
                    raise ReadError(
                        name, f"the file has more than {limits.max_rows:,} rows, over the limit"
                    )
                if progress and len(rows) % CHUNK_ROWS == 0:
                    progress(len(rows), 0)
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = (
                    f"a cell is longer than {limits.max_cell_chars:,} characters (or a quote is "
                    "never closed)"
                )
            raise ReadError(name, f"row {len(rows) + 1}: {message}") from None
        finally:
            csv.field_size_limit(previous)
    if progress:
        progress(len(rows), len(rows))
    return rows


def _lines(text: io.TextIOWrapper, name: str, max_line: int) -> Iterator[str]:
    readline = text.readline
    number = 0
    while True:
        try:
            line = readline(max_line)
        except UnicodeDecodeError:
            raise _Undecodable(number + 1) from None
        if not line:
            return
        number += 1
        if len(line) >= max_line and line[-1] not in "\r\n":
            raise ReadError(name, f"line {number} is longer than {max_line:,} characters")
        if "\x00" in line:
            raise ReadError(
                name, f"line {number} contains a NUL byte: binary content, not a text CSV"
            )
        yield line


def _refuse_binary(name: str, sample: str) -> None:
    controls = len(CONTROL.findall(sample))
    if controls > max(8, len(sample) // 10):
        raise ReadError(
            name,
            f"binary content, not a text CSV ({controls:,} control characters in the first "
            f"{len(sample):,})",
        )


def _delimiter(sample: list[str]) -> str:
    """Tab when at least half of the first non-empty lines have a tab, else comma."""
    lines = [s for s in sample if s.strip()]
    tabbed = sum(1 for s in lines if "\t" in s)
    return "\t" if lines and tabbed * 2 >= len(lines) else ","


# --- small things ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Building millions of row lists sets off the cyclic garbage collector again and again, each
    time walking every row built so far (half the time of reading). Rows hold no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _size(n: int) -> str:
    for unit, factor in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= factor:
            return f"{n / factor:,.1f} {unit}"
    return f"{n:,} bytes"


def _column(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
