"""Services: the functions that change what the web app stores. Each is one transaction — an
import, a commit, a run, a publication, an objection's resolution is all-or-nothing — and each
records its actor in the audit trail. Views call these; these call mujun.engine.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import secrets
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import polars as pl
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mujun.dataset import Dataset
from mujun.dataset.schema import M2_PER_MU, TABLES
from mujun.engine import evaluate
from mujun.engine.evaluate import CONTRACT_HEAD, CONTRACT_TAIL, Evaluation
from mujun.methodologies import load_methodology, parse_methodology
from mujun.reports.disclosure import Audience
from mujun.web.audit import record
from mujun.web.models import (
    DataTable,
    DataVersion,
    Enterprise,
    LandShare,
    Objection,
    Parcel,
    ParcelResult,
    Preset,
    Result,
    Run,
    RunFigures,
    Task,
    TaskNote,
)

logger = logging.getLogger(__name__)

BATCH = 5000
# the fields an enterprise may object to, and the table they live in
LAND = "land_mu"
"""The objectable land area: a correction is a confirmed area (land_confirmations), not an annual
figure."""
OBJECTABLE = (
    LAND,
    "tax_paid",
    "fixed_asset_vat_credit",
    "value_added",
    "revenue",
    "output",
    "energy_tce",
    "emissions_eq",
    "rd_expense",
    "employees",
    "electricity_kwh",
)


class ServiceError(ValueError):
    """A request that cannot be carried out as asked (shown to the user, nothing changed)."""


# ---------------------------------------------------------------- data versions


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def store_dataset(
    ds: Dataset,
    kind: str,
    user=None,
    *,
    note: str = "",
    files: list[str] | None = None,
    problems: list[dict] | None = None,
    report_xlsx: bytes | None = None,
    parent: DataVersion | None = None,
    nonce: str | None = None,
) -> DataVersion:
    """Stage a validated dataset as a new data version (one row per table)."""

    def create() -> DataVersion:
        version = DataVersion.objects.create(
            kind=kind,
            fingerprint=ds.fingerprint(),
            note=note,
            files=files or [],
            problems=problems or [],
            report_xlsx=report_xlsx,
            enterprises=ds.enterprises.height,
            years=ds.years(),
            created_by=user,
            parent=parent,
            nonce=nonce,
        )
        DataTable.objects.bulk_create(
            DataTable(version=version, name=name, rows=frame.height, parquet=_parquet(frame))
            for name, frame in ds.tables().items()
        )
        return version

    return _once(DataVersion, nonce, create)


TOKEN_SALT = "mujun.web.form-token"
TOKEN_MAX_AGE = 24 * 3600
"""A form's token is good for a day (a page left open overnight is reloaded)."""


def issue_token(user, form: str) -> str:
    """A one-time token for a form the server shows a user: signed by the server and bound to the
    user and the form. Its random part becomes the nonce of the object the submit makes, so a
    second submit of the same form finds that object instead of making another."""
    return signing.dumps(
        {"u": user.pk, "f": form, "n": secrets.token_hex(16)}, salt=TOKEN_SALT, compress=False
    )


def token_nonce(token: str, user, form: str) -> str:
    """The nonce a token issued to this user for this form carries; ServiceError for a token the
    server did not issue (forged, altered, another user's or form's, or expired)."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:  # also SignatureExpired
        logger.warning("form %s: token refused for user %s: %s", form, user.pk, exc)
        raise ServiceError(_form_expired()) from exc
    if not isinstance(data, dict) or data.get("u") != user.pk or data.get("f") != form:
        logger.warning("form %s: token of another user or form sent by user %s", form, user.pk)
        raise ServiceError(_form_expired())
    return str(data["n"])


def _form_expired() -> str:
    return _("This form has expired or was not issued to you; reload the page and submit again.")


def submitted(model, nonce: str | None):
    """The object a form with this one-time token has already made (a double submit), or None."""
    return model.objects.filter(nonce=nonce).first() if nonce else None


def _once(model, nonce: str | None, create):
    """`create()` in one transaction, unless the form's one-time token was used already: then the
    object that submit made, also when the two submits race between the check and the insert."""
    if existing := submitted(model, nonce):
        return existing
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        if existing := submitted(model, nonce):
            return existing
        raise


@lru_cache(maxsize=8)
def _load(version_id: int, fingerprint: str = "") -> Dataset:
    frames = {
        t.name: pl.read_parquet(io.BytesIO(bytes(t.parquet)))
        for t in DataTable.objects.filter(version_id=version_id)
    }
    missing = {t.name for t in TABLES if t.required} - set(frames)
    if missing:
        raise ServiceError(f"data version {version_id} lacks tables {sorted(missing)}")
    # validated when it was staged, and immutable since: no second validation. A version stored
    # before an optional table or column joined the contract gets it empty.
    for t in TABLES:
        frame = frames.get(t.name, pl.DataFrame(schema=t.schema))
        absent = [pl.lit(None, dtype).alias(c) for c, dtype in t.schema.items() if c not in frame]
        frames[t.name] = frame.with_columns(absent).select(t.names) if absent else frame
    return Dataset(**{t.name: frames[t.name] for t in TABLES})


def load_dataset(version: DataVersion) -> Dataset:
    """The canonical dataset of a version: one query for all its tables, cached per process. The
    cache key holds the fingerprint too: a rolled-back transaction gives its ids back on SQLite, so
    an id alone may name another version later."""
    return _load(version.pk, version.fingerprint)


def head() -> DataVersion | None:
    """The current data: the version committed last (not the one staged last: an older staged
    version committed after a newer one becomes the current data, its parent the one before)."""
    return (
        DataVersion.objects.filter(status=DataVersion.Status.COMMITTED)
        .order_by("-decided_at", "-id")
        .first()
    )


def _lock():
    """Serialize commits and publications (two analysts at once queue, nothing interleaves)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(4242)")
    # SQLite: transactions are IMMEDIATE (settings), which already serializes writers


def commit_version(version: DataVersion, user=None) -> DataVersion:
    """Make a staged version the current data and refresh the directory of enterprises and parcels."""
    with transaction.atomic():
        _lock()
        version = DataVersion.objects.select_for_update().get(pk=version.pk)
        if version.status == DataVersion.Status.COMMITTED:
            return version
        if version.status != DataVersion.Status.STAGED:
            logger.warning(
                "data version %s is %s: not committed (user %s)",
                version.pk,
                version.status,
                getattr(user, "pk", None),
            )
            raise ServiceError(
                _("Data version %(pk)s was %(status)s and cannot be committed.")
                % {"pk": version.pk, "status": version.get_status_display()}
            )
        if version.parent is None:
            version.parent = head()
        version.status = DataVersion.Status.COMMITTED
        version.decided_at = timezone.now()
        version.save()
        refresh_directory(load_dataset(version))
    return version


def discard_version(version: DataVersion, user=None) -> DataVersion:
    with transaction.atomic():
        version = DataVersion.objects.select_for_update().get(pk=version.pk)
        if version.status == DataVersion.Status.STAGED:
            version.status = DataVersion.Status.DISCARDED
            version.decided_at = timezone.now()
            version.save()
    return version


def refresh_directory(ds: Dataset) -> None:
    """Rebuild the enterprise and parcel directory from a dataset (inside the caller's transaction)."""
    quals = (
        ds.qualifications.group_by("uscc", maintain_order=True)
        .agg(pl.col("kind").unique(maintain_order=True).sort().str.join(";"))
        .rename({"kind": "qualifications"})
    )
    firms = ds.enterprises.join(quals, on="uscc", how="left", maintain_order="left")
    Enterprise.objects.all().delete()
    Parcel.objects.all().delete()
    bulk_insert(
        Enterprise,
        [
            Enterprise(
                uscc=r["uscc"],
                name=r["name"],
                industry_code=r["industry_code"],
                division_code=r["division_code"],
                zones=r["zones"] or "",
                qualifications=r["qualifications"] or "",
            )
            for r in firms.iter_rows(named=True)
        ],
    )
    bulk_insert(
        Parcel,
        [
            Parcel(
                parcel_id=r["parcel_id"],
                owner_uscc=r["owner_uscc"],
                division_code=r["division_code"],
                area_m2=r["area_m2"],
                geometry=r["geometry"] or "",
            )
            for r in ds.parcels.iter_rows(named=True)
        ],
    )


def bulk_insert(model, objects: list) -> None:
    """Insert many rows inside the caller's transaction: COPY on PostgreSQL (mujun.web.bulk),
    batched bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        from mujun.web.bulk import copy_insert

        copy_insert(model, objects)
        return
    for start in range(0, len(objects), BATCH):
        model.objects.bulk_create(objects[start : start + BATCH])


def import_files(paths: list[Path], names: list[str], user=None, nonce: str | None = None):
    """Import uploaded files as a staged version: a canonical dataset workbook (sheets named after
    the tables) is loaded as it is; bureau files go through mujun.ingest. Returns (version or None,
    problems): nothing is stored when there is any error."""
    from mujun.dataset import DatasetError
    from mujun.dataset import load as load_canonical
    from mujun.ingest import ingest
    from mujun.ingest.report import write_report

    unreadable = [
        _upload_problem(name, reason)
        for path, name in zip(paths, names, strict=True)
        if (reason := _unreadable(path))
    ]
    if unreadable:
        return None, unreadable
    if len(paths) == 1 and _canonical(paths[0], names[0]):
        try:
            ds = load_canonical(paths[0])
        except DatasetError as exc:
            return None, [_problem_dict(p, names[0]) for p in exc.problems]
        version = store_dataset(ds, DataVersion.Kind.IMPORT, user, files=names, nonce=nonce)
        return version, []
    result = ingest(paths)
    # the uploads were saved under temporary names: show the names the user chose
    uploaded = {str(path): name for path, name in zip(paths, names, strict=True)}
    uploaded.update({path.name: name for path, name in zip(paths, names, strict=True)})
    problems = [
        {
            "severity": p.severity,
            "file": uploaded.get(str(p.file), uploaded.get(Path(str(p.file)).name, p.file)),
            "sheet": p.sheet or "",
            "row": p.row,
            "column": p.column or "",
            "message": f"{p.kind}: {p.reason}" if p.kind else p.reason,
        }
        for p in result.problems
    ]
    if result.errors or result.dataset is None:
        return None, problems
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "ingest-report.xlsx"
        write_report(result, report)
        report_bytes = report.read_bytes()
    version = store_dataset(
        result.dataset,
        DataVersion.Kind.IMPORT,
        user,
        files=names,
        problems=problems,
        report_xlsx=report_bytes,
        nonce=nonce,
    )
    return version, problems


# the start of a file by what it is, for telling the user what an .xlsx that is none really holds
SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or other OLE file"),
    (b"{\\rtf", "an RTF document"),
    (b"<", "a web page or XML file"),
)


def _unreadable(path: Path) -> str | None:
    """Why an uploaded file cannot be read at all (empty, or an .xlsx that is no workbook), in the
    user's language; None when it may be read. The readers look closer afterwards."""
    size = path.stat().st_size
    if size == 0:
        return _("The file is empty (0 bytes).")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    with path.open("rb") as f:
        start = f.read(4096)
    if not start.startswith(b"PK"):
        kind = next((k for sig, k in SIGNATURES if start.startswith(sig)), None)
        if kind is None:
            # text in any of the bureaus' encodings (UTF-8, GBK) has no NUL bytes
            text = b"\x00" not in start
            kind = "a text file (CSV or tab-separated)" if text else "an unknown kind of file"
        return _(
            "This is not an .xlsx workbook: its content is %(kind)s. Save it as .xlsx (or as .csv "
            "under a .csv name) and upload it again."
        ) % {"kind": _(kind)}
    try:
        with zipfile.ZipFile(path) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return _(
            "The workbook is truncated or damaged (not a complete zip archive); upload the "
            "original file again."
        )
    return None


def _upload_problem(name: str, message: str) -> dict:
    logger.warning("upload %r refused: %s", name, message)
    return {
        "severity": "error",
        "file": name,
        "sheet": "",
        "row": None,
        "column": "",
        "message": message,
    }


def _canonical(path: Path, name: str) -> bool:
    """Whether the upload is a canonical dataset workbook; a file that cannot be told goes to the
    ingest, whose guarded readers report it."""
    try:
        return _is_canonical(path)
    except Exception as exc:  # whatever the reader says: the ingest reports the file
        logger.warning("upload %r: not read as a canonical workbook: %s", name, exc)
        return False


def _is_canonical(path: Path) -> bool:
    """Whether an upload is a canonical dataset workbook (sheets named after the required tables).
    The names come through the guarded reader, which parses no cell; a file it refuses is not
    canonical, and mujun.ingest then reports why it cannot be read."""
    if path.suffix.lower() != ".xlsx":
        return False
    from mujun.ingest.read import ReadError, sheet_names

    try:
        sheets = set(sheet_names(path))
    except ReadError:
        return False
    return {"enterprises", "annual", "parcels"} <= sheets


def _problem_dict(problem, file: str) -> dict:
    return {
        "severity": "error",
        "file": file,
        "sheet": getattr(problem, "table", "") or "",
        "row": getattr(problem, "row", None),
        "column": getattr(problem, "column", "") or "",
        # the reason alone: file, sheet, row and column have their own columns (and the file
        # was read under a temporary name, which is not the user's)
        "message": getattr(problem, "reason", None) or str(problem),
    }


# ---------------------------------------------------------------- presets


def ensure_preset(name: str, user=None) -> Preset:
    """The latest version of a preset, created from the shipped TOML the first time."""
    preset = Preset.objects.filter(name=name).order_by("-version").first()
    if preset is None:
        from importlib.resources import files

        text = (files("mujun.methodologies") / f"{name}.toml").read_text(encoding="utf-8")
        m = load_methodology(name)
        preset = Preset.objects.create(
            name=name, version=1, toml=text, methodology_hash=m.digest(), created_by=user
        )
    return preset


def save_preset(name: str, toml_text: str, user=None, note: str = "") -> Preset:
    """A new version of a preset (validated); an unchanged methodology makes no new version."""
    m = parse_methodology(toml_text, f"preset {name}")
    with transaction.atomic():
        latest = Preset.objects.select_for_update().filter(name=name).order_by("-version").first()
        if latest is not None and latest.methodology_hash == m.digest():
            return latest
        return Preset.objects.create(
            name=name,
            version=(latest.version + 1) if latest else 1,
            toml=toml_text,
            methodology_hash=m.digest(),
            note=note,
            created_by=user,
        )


def methodology_of(preset: Preset):
    return _methodology(preset.pk, preset.toml)


@lru_cache(maxsize=32)
def _methodology(pk: int, text: str):
    # a stored version never changes: one saved before numbers needed a source (issue 13) loads
    # with them unsourced; save_preset requires them of every new version
    return parse_methodology(text, f"preset {pk}", require_sources=False)


# ---------------------------------------------------------------- runs


@lru_cache(maxsize=16)
def _evaluation(
    data_id: int, fingerprint: str, preset_id: int, methodology_hash: str, year: int
) -> Evaluation:
    preset = Preset.objects.get(pk=preset_id)
    return evaluate(_load(data_id, fingerprint), year, methodology_of(preset))


def evaluation_of(run: Run) -> Evaluation:
    """The engine's full result for a run (recomputed from its stored inputs, cached per process:
    the same inputs and preset give the same result to the bit)."""
    if run.rescored_from_id is not None:
        return _rescored(run.rescored_from_id, run.data_id, run.data.fingerprint, run.rescored_uscc)
    return _evaluation(
        run.data_id, run.data.fingerprint, run.preset_id, run.preset.methodology_hash, run.year
    )


@lru_cache(maxsize=8)
def _rescored(base_id: int, data_id: int, _fingerprint: str, uscc: str) -> Evaluation:
    """The published run `base_id` with `uscc` scored again on data version `data_id`."""
    from mujun.engine.rescore import rescore

    base = Run.objects.select_related("preset", "data").defer("published_xlsx").get(pk=base_id)
    data = load_dataset(DataVersion.objects.get(pk=data_id))
    return rescore(evaluation_of(base), data, uscc)


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# the contract's columns that are Result fields; the rest of a row goes to Result.values
FIXED = {*CONTRACT_HEAD, *CONTRACT_TAIL}


def _summary(ev: Evaluation, frame: pl.DataFrame) -> dict:
    graded = frame.filter(pl.col("grade").is_not_null())
    counts = graded.group_by("list", "grade").len().sort("list", "grade").to_dicts()
    cuts = (
        graded.group_by("list", "grade")
        .agg(pl.col("total_score").min().alias("min_score"))
        .sort("list", "grade")
        .to_dicts()
    )
    landed = frame.filter(pl.col("status") == "evaluated", pl.col("land_mu") > 0)
    totals = {
        "enterprises": frame.height,
        "evaluated": frame.filter(pl.col("status") == "evaluated").height,
        "land_mu": landed["land_mu"].sum(),
        "adjusted_tax": landed["adjusted_tax"].sum(),
        "value_added": landed["value_added"].sum(),
    }
    statuses = frame.group_by("status").len().sort("status").to_dicts()
    return {
        "counts": counts,
        "cuts": cuts,
        "totals": totals,
        "statuses": statuses,
        "benchmarks": [{k: _clean(v) for k, v in r.items()} for r in ev.benchmarks.to_dicts()],
        "at_cap": ev.at_cap().to_dicts(),
        "illustrative": len(ev.methodology.illustrative(evaluation=True)),
    }


def create_run(
    year: int,
    preset: Preset,
    data: DataVersion,
    user=None,
    nonce=None,
    rescore_of: Run | None = None,
    uscc: str = "",
) -> Run:
    """Evaluate a year on a data version with a preset and store the result as a preview run.
    With `rescore_of` (a published run) only `uscc` is scored again, against that run's
    benchmarks; every other firm keeps its result there (an objection during the 公示)."""
    if existing := submitted(Run, nonce):  # before the evaluation, which takes seconds
        return existing
    if data.status != DataVersion.Status.COMMITTED:
        raise ServiceError(f"data version {data.pk} is {data.status}, not committed")
    ds = load_dataset(data)
    if year not in ds.years():
        raise ServiceError(f"year {year} is not in data version {data.pk} ({ds.years()})")
    if rescore_of is not None:
        ev = _rescored(rescore_of.pk, data.pk, data.fingerprint, uscc)
    else:
        ev = _evaluation(data.pk, data.fingerprint, preset.pk, preset.methodology_hash, year)
    annual = ds.annual.filter(pl.col("year") == year).select("uscc", "value_added")
    frame = ev.enterprises.join(annual, on="uscc", how="left", maintain_order="left")

    def create() -> Run:
        run = Run.objects.create(
            year=year,
            preset=preset,
            data=data,
            input_hash=ev.input_hash,
            methodology_hash=ev.methodology_hash,
            summary=_summary(ev, frame),
            created_by=user,
            nonce=nonce,
            rescored_from=rescore_of,
            rescored_uscc=uscc if rescore_of is not None else "",
        )
        _store_results(run, ev, frame, ds)
        return run

    return _once(Run, nonce, create)


def _store_results(run: Run, ev: Evaluation, frame: pl.DataFrame, ds: Dataset) -> None:
    results = []
    for r in frame.iter_rows(named=True):
        values = {k: _clean(v) for k, v in r.items() if k not in FIXED and v is not None}
        results.append(
            Result(
                run=run,
                uscc=r["uscc"],
                name=r["name"],
                year=r["year"],
                group=r["group"] or "",
                list=r["list"] or "",
                division_code=r["division_code"],
                industry_code=r["industry_code"],
                land_mu=_clean(r["land_mu"]),
                tax_paid=_clean(r["tax_paid"]),
                adjusted_tax=_clean(r["adjusted_tax"]),
                value_added=_clean(r["value_added"]),
                tax_per_mu=_clean(r.get("ind_tax_per_mu")),
                total_score=_clean(r["total_score"]),
                grade=r["grade"] or "",
                status=r["status"],
                reason=r["reason"] or "",
                rank=r["rank"],
                values=values,
            )
        )
    bulk_insert(Result, results)
    names = dict(zip(ds.enterprises["uscc"], ds.enterprises["name"], strict=True))
    occupants: dict[str, list[dict]] = {}
    shares = []
    for a in ev.allocation.iter_rows(named=True):
        land_mu = a["land_m2"] / M2_PER_MU
        occupants.setdefault(a["parcel_id"], []).append(
            {
                "uscc": a["uscc"],
                "name": names.get(a["uscc"], ""),
                "role": a["role"],
                "land_mu": land_mu,
            }
        )
        shares.append(
            LandShare(
                run=run, parcel_id=a["parcel_id"], uscc=a["uscc"], role=a["role"], land_mu=land_mu
            )
        )
    bulk_insert(LandShare, shares)
    divisions = dict(zip(ds.parcels["parcel_id"], ds.parcels["division_code"], strict=True))
    parcels = [
        ParcelResult(
            run=run,
            parcel_id=p["parcel_id"],
            owner_uscc=p["owner_uscc"],
            division_code=divisions.get(p["parcel_id"], ""),
            area_mu=p["area_mu"],
            occupied_share=_clean(p["occupied_share"]),
            vacant_share=_clean(p["vacant_share"]),
            tax_per_mu=_clean(p["tax_per_mu"]),
            value_added_per_mu=_clean(p["value_added_per_mu"]),
            grade=p["grade"] or "",
            occupants=occupants.get(p["parcel_id"], []),
        )
        for p in ev.parcels.iter_rows(named=True)
    ]
    bulk_insert(ParcelResult, parcels)


def published(year: int) -> Run | None:
    """The run in force for a year: the last one published."""
    return (
        Run.objects.filter(year=year, status=Run.Status.PUBLISHED)
        .defer("published_xlsx")  # ~40 MB a year at 150,000 firms; no caller needs it
        .order_by("-published_at", "-id")
        .first()
    )


def published_xlsx(ev: Evaluation, audience: Audience | None = None) -> bytes:
    from mujun.reports.published import write_published

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "published.xlsx"
        write_published(ev, path, audience)
        return path.read_bytes()


def published_workbook(run: Run, audience: Audience) -> bytes:
    """A published run's list as `audience` may read it: the stored workbook for the whole
    district with tax, else written now from the run's evaluation (the same bytes every time)."""
    if audience.whole:
        return bytes(Run.objects.values_list("published_xlsx", flat=True).get(pk=run.pk))
    return published_xlsx(evaluation_of(run), audience)


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`. China's public holidays and
    their make-up working days are not known here: a county's 公示 notice gives the exact date."""
    date = start
    while days > 0:
        date += dt.timedelta(days=1)
        if date.weekday() < 5:
            days -= 1
    return date


def objection_closed(run: Run) -> bool:
    """Whether the run's 公示 is over: its list is final (逾期视为无异议)."""
    return run.objection_deadline is not None and timezone.localdate() > run.objection_deadline


def publish_run(run: Run, user=None) -> Run:
    """Publish a preview run (idempotent: publishing twice is publishing once). The run it replaces,
    if any, stays published and visible; the new one supersedes it."""
    with transaction.atomic():
        _lock()
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.status == Run.Status.PUBLISHED:
            return run
        previous = published(run.year)
        run.status = Run.Status.PUBLISHED
        run.published_by = user
        run.published_at = timezone.now()
        days = methodology_of(run.preset).publication.objection_days
        run.objection_deadline = working_days_after(timezone.localdate(run.published_at), days)
        run.supersedes = previous
        run.published_xlsx = published_xlsx(evaluation_of(run))
        run.save()
        record(run, "publish", user, year=run.year, input_hash=run.input_hash)
    run_figures(run)  # the overview's district figures, once (seconds at 150,000 firms)
    return run


def run_figures(run: Run) -> RunFigures:
    """The run's stored district figures, computed the first time they are asked for."""
    from mujun.web import selectors

    try:
        return RunFigures.objects.get(run=run)
    except RunFigures.DoesNotExist:
        pass
    rows = Result.objects.filter(run=run)
    before = published(run.year - 1)
    best, worst = (
        selectors.movers_between(rows, Result.objects.filter(run=before)) if before else ([], [])
    )
    # through JSON, so that a freshly computed object equals one read back from the database
    figures = json.loads(
        json.dumps(
            {
                "overview": selectors.overview_figures(rows),
                "movers": {"previous": before.pk if before else None, "best": best, "worst": worst},
            }
        )
    )
    try:
        with transaction.atomic():
            return RunFigures.objects.create(run=run, **figures)
    except IntegrityError:  # computed by another request meanwhile
        return RunFigures.objects.get(run=run)


# ---------------------------------------------------------------- objections


def file_objection(
    run: Run, uscc: str, field: str, proposed: float | None, explanation: str, user, nonce=None
) -> Objection:
    if field not in OBJECTABLE:
        raise ServiceError(
            f"{field!r} cannot be objected to; expected one of {', '.join(OBJECTABLE)}"
        )
    if not explanation.strip():
        raise ServiceError("an objection needs an explanation")
    if existing := submitted(Objection, nonce):
        return existing
    if objection_closed(run):
        raise ServiceError(
            _(
                "The %(year)s list's publicity period ended on %(date)s: the list is final "
                "(no objection in time is taken as none)."
            )
            % {"year": run.year, "date": run.objection_deadline.isoformat()}
        )
    ds = load_dataset(run.data)
    row = ds.annual.filter(pl.col("uscc") == uscc, pl.col("year") == run.year)
    if row.is_empty():
        raise ServiceError(f"{uscc} has no {run.year} data in run {run.pk}")
    if field == LAND:  # the area it was evaluated on, allocated or confirmed
        result = Result.objects.filter(run=run, uscc=uscc).first()
        current = result.land_mu if result is not None else None
    else:
        current = row[field][0]

    def create() -> Objection:
        _lock()  # with the count below: a burst of posts at once is counted one by one
        limit = objection_limit()
        recent = Objection.objects.filter(
            uscc=uscc, created_at__gte=timezone.now() - dt.timedelta(hours=1)
        ).count()
        if recent >= limit:
            logger.warning(
                "objection refused: %s filed %d in the last hour (limit %d), user %s",
                uscc,
                recent,
                limit,
                getattr(user, "pk", None),
            )
            raise ServiceError(
                _(
                    "At most %(limit)s objections an hour may be filed for one enterprise; "
                    "try again later."
                )
                % {"limit": limit}
            )
        return Objection.objects.create(
            uscc=uscc,
            run=run,
            year=run.year,
            field=field,
            current_value=current,
            proposed_value=proposed,
            explanation=explanation.strip(),
            created_by=user,
            nonce=nonce,
        )

    return _once(Objection, nonce, create)


def objection_limit() -> int:
    """How many objections one enterprise may file an hour (MUJUN_OBJECTIONS_PER_HOUR)."""
    return int(getattr(settings, "MUJUN_OBJECTIONS_PER_HOUR", 10))


def reject_objection(objection: Objection, reason: str, user) -> Objection:
    if not reason.strip():
        raise ServiceError("a rejection needs a reason")
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != Objection.Status.OPEN:
            return objection
        objection.status = Objection.Status.REJECTED
        objection.resolution = reason.strip()
        objection.resolved_by = user
        objection.resolved_at = timezone.now()
        objection.save()
    return objection


def accept_objection(
    objection: Objection, value: float, reason: str, user, recompute_all: bool = False
) -> tuple[Objection, Run]:
    """Accept an objection: the corrected value becomes a new committed data version (who, when and
    why recorded on the objection and in the audit trail) and a new preview run is made, to be
    published in place of the old one. By default only the objecting firm is scored again, against
    the benchmarks of the list it objected to (the others keep their published results);
    `recompute_all` evaluates the whole year again on the corrected data."""
    if not reason.strip():
        raise ServiceError("an accepted objection needs the reason for the correction")
    with transaction.atomic():
        _lock()
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != Objection.Status.OPEN:
            raise ServiceError(f"objection {objection.pk} is already {objection.status}")
        base = head()
        ds = load_dataset(base)
        if objection.field == LAND:
            corrected = _corrected(objection, value, _land_confirmed(ds, objection, value, reason))
        else:
            annual = ds.annual.with_columns(
                pl.when((pl.col("uscc") == objection.uscc) & (pl.col("year") == objection.year))
                .then(pl.lit(float(value)))
                .otherwise(pl.col(objection.field))
                .cast(ds.annual.schema[objection.field])
                .alias(objection.field)
            )
            corrected = _corrected(objection, value, {**ds.tables(), "annual": annual})
        note = (
            f"objection {objection.pk}: {objection.uscc} {objection.year} {objection.field} "
            f"{objection.current_value} → {value}; {reason.strip()}"
        )
        version = store_dataset(
            corrected, DataVersion.Kind.CORRECTION, user, note=note, parent=base
        )
        version = commit_version(version, user)
        objection.status = Objection.Status.ACCEPTED
        objection.resolution = reason.strip()
        objection.proposed_value = value
        objection.correction = version
        objection.resolved_by = user
        objection.resolved_at = timezone.now()
        objection.save()
        published_run = objection.run if objection.run.status == Run.Status.PUBLISHED else None
        if recompute_all or published_run is None:
            run = create_run(objection.year, objection.run.preset, version, user)
        else:
            run = create_run(
                objection.year,
                objection.run.preset,
                version,
                user,
                rescore_of=published_run,
                uscc=objection.uscc,
            )
        record(run, "objection run", user, objection=objection.pk, recompute_all=recompute_all)
    return objection, run


def _land_confirmed(ds: Dataset, objection: Objection, value: float, reason: str) -> dict:
    """The tables with the firm's land for the year confirmed at `value` 亩 (replacing an earlier
    confirmation of that firm and year)."""
    table = ds.land_confirmations
    kept = table.filter(~((pl.col("uscc") == objection.uscc) & (pl.col("year") == objection.year)))
    row = pl.DataFrame(
        {
            "uscc": [objection.uscc],
            "year": [objection.year],
            "land_mu": [float(value)],
            "confirmed_on": [timezone.localdate()],
            "note": [f"objection {objection.pk}: {reason.strip()}"[:500]],
        },
        schema=table.schema,
    )
    return {**ds.tables(), "land_confirmations": pl.concat([kept, row])}


def _corrected(objection: Objection, value: float, tables: dict) -> Dataset:
    """The dataset with the correction, validated like an import (mujun.dataset's validation);
    ServiceError naming what is wrong, nothing stored."""
    from mujun.dataset import DatasetError

    try:
        return Dataset.from_frames(**tables)
    except DatasetError as exc:
        logger.warning(
            "objection %s: correction %s of %s fails validation: %s",
            objection.pk,
            value,
            objection.field,
            exc,
        )
        reasons = "; ".join(
            p.reason for p in exc.problems if p.column == objection.field
        ) or "; ".join(str(p) for p in exc.problems[:3])
        raise ServiceError(
            _("The corrected value fails the data checks, nothing was changed: %(reasons)s")
            % {"reasons": reasons}
        ) from exc


# ---------------------------------------------------------------- task notes


def add_task_note(task: Task, status: str, text: str, user, nonce: str | None = None) -> TaskNote:
    """A dated progress note on a task, with the task's new status; one per form (its token)."""

    def create() -> TaskNote:
        task.status = status
        task.save()
        note = TaskNote.objects.create(
            task=task, date=dt.date.today(), text=text, author=user, nonce=nonce
        )
        record(task, "task note", user, status=status)
        return note

    return _once(TaskNote, nonce, create)
