"""Imports: a canonical dataset workbook or the bureaus' own files, uploaded on the data page, become
a staged version; a broken file is refused with every problem listed and nothing stored; commit
makes the version the current data (and refreshes the directory), discard leaves it aside."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import openpyxl
import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from mujun.dataset import Dataset
from mujun.synth import synthesize
from mujun.web import services
from mujun.web.models import DataTable, DataVersion, Enterprise, Parcel

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small() -> Dataset:
    return Dataset.from_frames(**synthesize(60, [2021, 2022], 5))


@pytest.fixture(scope="module")
def workbook(small, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("canonical") / "district.xlsx"
    small.write(path)
    return path


def _token(client) -> str:
    """The one-time token the data page's form carries (issued by the server)."""
    html = client.get("/data/").content.decode()
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def _nonce(token: str) -> str:
    """The nonce the version a token's form made is stored under."""
    return signing.loads(token, salt=services.TOKEN_SALT)["n"]


def _upload(client, *paths: Path, token: str | None = None, names: list[str] | None = None):
    files = [
        SimpleUploadedFile(name, p.read_bytes())
        for p, name in zip(paths, names or [p.name for p in paths], strict=True)
    ]
    return client.post("/data/", {"files": files, "nonce": token or _token(client)})


def test_canonical_workbook_is_staged_then_committed(login, small, workbook):
    client = login("analyst")
    old_head = services.head()
    before = DataVersion.objects.count()
    token = _token(client)
    response = _upload(client, workbook, token=token)
    assert response.status_code == 302
    version = DataVersion.objects.get(nonce=_nonce(token))
    assert response["Location"] == f"/data/{version.pk}/"
    assert version.status == DataVersion.Status.STAGED
    assert version.kind == DataVersion.Kind.IMPORT
    assert version.fingerprint == small.fingerprint()
    assert version.enterprises == 60 and version.years == [2021, 2022]
    assert version.files == ["district.xlsx"]
    assert version.created_by.username == "analyst"
    assert set(version.tables.values_list("name", flat=True)) == set(small.tables())
    # the same form twice: one version
    assert _upload(client, workbook, token=token)["Location"] == f"/data/{version.pk}/"
    assert DataVersion.objects.count() == before + 1
    # staged, not yet current
    assert services.head() == old_head
    assert Enterprise.objects.count() == 300
    page = client.get(f"/data/{version.pk}/").content.decode()
    assert "enterprises" in page and "annual" in page

    assert client.post(f"/data/{version.pk}/", {"action": "commit"}).status_code == 302
    version.refresh_from_db()
    assert version.status == DataVersion.Status.COMMITTED and version.decided_at
    assert version.parent_id == old_head.pk
    assert services.head() == version
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == set(
        small.enterprises["uscc"].to_list()
    )
    assert Parcel.objects.count() == small.parcels.height
    # committing again changes nothing; a committed version cannot be discarded
    client.post(f"/data/{version.pk}/", {"action": "commit"})
    client.post(f"/data/{version.pk}/", {"action": "discard"})
    version.refresh_from_db()
    assert version.status == DataVersion.Status.COMMITTED
    assert services.load_dataset(version).fingerprint() == small.fingerprint()


def test_discard_leaves_the_head(login, workbook):
    client = login("admin")
    old_head = services.head()
    token = _token(client)
    _upload(client, workbook, token=token)
    version = DataVersion.objects.get(nonce=_nonce(token))
    client.post(f"/data/{version.pk}/", {"action": "discard"})
    version.refresh_from_db()
    assert version.status == DataVersion.Status.DISCARDED
    assert services.head() == old_head
    assert Enterprise.objects.count() == 300
    # a discarded version is not committed later
    with pytest.raises(services.ServiceError):
        services.commit_version(version)
    assert services.head() == old_head


def _broken(workbook: Path, tmp_path: Path, edit) -> Path:
    book = openpyxl.load_workbook(workbook)
    edit(book)
    path = tmp_path / "broken.xlsx"
    book.save(path)
    return path


def _refused(client, path: Path) -> str:
    versions, tables = DataVersion.objects.count(), DataTable.objects.count()
    response = _upload(client, path)
    assert response.status_code == 422
    assert DataVersion.objects.count() == versions
    assert DataTable.objects.count() == tables
    page = response.content.decode()
    assert "broken.xlsx" in page
    return page


def test_invalid_uscc_is_refused_with_its_place(login, workbook, tmp_path):
    def edit(book):
        sheet = book["enterprises"]
        header = [c.value for c in sheet[1]]
        sheet.cell(row=4, column=header.index("uscc") + 1, value="91330211BADCODE000")

    page = _refused(login("analyst"), _broken(workbook, tmp_path, edit))
    assert "enterprises" in page and "uscc" in page and "91330211BADCODE000" in page


def test_missing_column_is_refused(login, workbook, tmp_path):
    def edit(book):
        sheet = book["annual"]
        header = [c.value for c in sheet[1]]
        sheet.delete_cols(header.index("tax_paid") + 1)

    page = _refused(login("analyst"), _broken(workbook, tmp_path, edit))
    assert "annual" in page and "tax_paid" in page


def test_bureau_files_upload_together(login, small, tmp_path):
    from tests.ingest.messy import bureau_files

    paths = bureau_files(small.tables(), tmp_path / "bureaus")
    assert len(paths) > 4
    client = login("analyst")
    token = _token(client)
    response = _upload(client, *paths, token=token)
    assert response.status_code == 302, response.content.decode()[-3000:]
    version = DataVersion.objects.get(nonce=_nonce(token))
    assert version.status == DataVersion.Status.STAGED
    assert sorted(version.files) == sorted(p.name for p in paths)
    assert version.enterprises == 60
    assert bytes(version.report_xlsx)[:2] == b"PK"
    assert client.get(f"/data/{version.pk}/report.xlsx").content[:2] == b"PK"
    ds = services.load_dataset(version)
    assert set(ds.enterprises["uscc"]) == set(small.enterprises["uscc"])
    services.commit_version(version)
    assert services.head() == version
    assert Enterprise.objects.count() == 60


def test_broken_bureau_file_is_refused(login, small, tmp_path):
    from tests.ingest.messy import bureau_files

    paths = bureau_files(small.tables(), tmp_path / "bureaus")
    tax = next(p for p in paths if p.name.startswith("税务"))
    tax.write_bytes(b"\x00\x01 not a csv \xff" * 20)
    versions, tables = DataVersion.objects.count(), DataTable.objects.count()
    response = _upload(login("analyst"), *paths)
    assert response.status_code == 422
    assert (DataVersion.objects.count(), DataTable.objects.count()) == (versions, tables)
    page = response.content.decode()
    # the problem names the file as uploaded, not the temporary copy
    assert tax.name in page and f"-{tax.name}" not in page


def test_a_hostile_canonical_workbook_is_refused_cleanly(login, tmp_path):
    """Sheets named enterprises/annual/parcels with a cell at XFD1048576 (2 KB): parsed in-process,
    it aborted the worker; the guarded reader refuses it, naming the file and the sheet."""
    from hostile import hostile_canonical_workbook

    path = tmp_path / "broken.xlsx"
    path.write_bytes(hostile_canonical_workbook())
    version, problems = services.import_files([path], ["broken.xlsx"])
    assert version is None
    [problem] = problems
    assert (problem["file"], problem["sheet"]) == ("broken.xlsx", "enterprises")
    assert "XFD1048576" in problem["message"] and "over the limit" in problem["message"]
    page = _refused(login("analyst"), path)
    assert "enterprises" in page and "XFD1048576" in page
    assert ".upload." not in page  # the user's file name, not the one it was received under


# ---------------------------------------------------------------- uploads that cannot be read


def _refused_upload(client, path: Path, caplog, name: str | None = None) -> str:
    versions, tables = DataVersion.objects.count(), DataTable.objects.count()
    with caplog.at_level(logging.WARNING):
        response = _upload(client, path, names=[name or path.name])
    assert response.status_code == 422
    assert (DataVersion.objects.count(), DataTable.objects.count()) == (versions, tables)
    assert any(r.levelno == logging.WARNING and "upload" in r.getMessage() for r in caplog.records)
    return response.content.decode()


def test_a_csv_named_xlsx_is_refused_with_a_message(login, tmp_path, caplog):
    path = tmp_path / "税务.xlsx"
    path.write_text("纳税人识别号,实缴税金\n91330211MA2XXXXX01,12.5\n", encoding="utf-8")
    page = _refused_upload(login("analyst"), path, caplog)
    assert "这不是 .xlsx 工作簿：其内容是文本文件" in page and "税务.xlsx" in page


def test_a_pdf_named_xlsx_is_refused_with_a_message(login, tmp_path, caplog):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    page = _refused_upload(login("analyst"), path, caplog)
    assert "其内容是PDF 文档" in page


def test_a_truncated_workbook_is_refused_with_a_message(login, workbook, tmp_path, caplog):
    path = tmp_path / "district.xlsx"
    data = workbook.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    page = _refused_upload(login("analyst"), path, caplog)
    assert "工作簿不完整或已损坏" in page


def test_an_empty_file_gets_a_message(login, tmp_path, caplog):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    page = _refused_upload(login("analyst"), path, caplog)
    assert "所提交的是空文件" in page  # Django's own words, in Chinese


def test_a_file_name_over_255_bytes_is_imported_under_its_name(login, workbook):
    """The name stays out of the paths on disk: a long (Windows allows 255 characters, 765 bytes
    in UTF-8) name is kept as the user gave it."""
    name = "宁波市镇海区" * 20 + ".xlsx"
    assert len(name.encode()) > 255
    client = login("analyst")
    token = _token(client)
    response = _upload(client, workbook, token=token, names=[name])
    assert response.status_code == 302
    assert DataVersion.objects.get(nonce=_nonce(token)).files == [name]


def test_committing_a_discarded_version_gets_a_message(login, workbook, caplog):
    client = login("analyst")
    token = _token(client)
    _upload(client, workbook, token=token)
    version = DataVersion.objects.get(nonce=_nonce(token))
    client.post(f"/data/{version.pk}/", {"action": "discard"})
    head = services.head()
    with caplog.at_level(logging.WARNING, logger="mujun.web.services"):
        response = client.post(f"/data/{version.pk}/", {"action": "commit"}, follow=True)
    assert response.status_code == 200
    assert f"数据版本 {version.pk} 的状态为“已放弃”，不能入库" in response.content.decode()
    version.refresh_from_db()
    assert version.status == DataVersion.Status.DISCARDED and services.head() == head
    assert any("not committed" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- the upload limit


@pytest.fixture
def upload_dir(settings, tmp_path) -> Path:
    settings.MUJUN_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.MUJUN_UPLOAD_LIMIT = 1024 * 1024
    return tmp_path / "uploads"


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_upload_over_the_limit_is_refused_and_nothing_stays(login, upload_dir, tmp_path, caplog):
    big = tmp_path / "税务.csv"
    big.write_bytes(b"uscc,tax_paid\n" + b"91330211MA2XXXXX01,12.5\n" * 60_000)  # 1.4 MB
    versions = DataVersion.objects.count()
    with caplog.at_level(logging.WARNING):
        response = _upload(login("analyst"), big)
    assert response.status_code == 413
    assert "上传超过 1 MB 的上限，未保存任何内容" in response.content.decode()
    assert DataVersion.objects.count() == versions
    assert _left(upload_dir) == []
    assert any("upload refused" in r.getMessage() for r in caplog.records)


def test_receiving_stops_at_the_limit_without_a_content_length(upload_dir, rf):
    """A body sent in chunks (no Content-Length to refuse it by): the handler counts the bytes,
    stops the upload at the limit and deletes what it had written."""
    from django.core.files.uploadhandler import StopUpload

    from mujun.web.uploads import LimitedUploadHandler

    request = rf.post("/data/")
    handler = LimitedUploadHandler(request)
    assert handler.handle_raw_input(None, {}, None, b"x") is None
    handler.new_file("files", "big.csv", "text/csv", None)
    assert len(_left(upload_dir)) == 1  # written straight to the upload folder
    chunk = b"x" * 64 * 1024
    with pytest.raises(StopUpload) as stop:
        for i in range(100):
            handler.receive_data_chunk(chunk, i * len(chunk))
    assert stop.value.connection_reset and request.upload_refused
    assert i == 16 and _left(upload_dir) == []


def test_an_upload_is_written_once_and_removed_after(login, upload_dir, workbook, monkeypatch):
    seen = []
    real = services.import_files

    def spy(paths, names, *args, **kwargs):
        seen.extend((p, p.read_bytes()) for p in paths)
        assert _left(upload_dir) == [p.name for p in paths]  # the one copy, on disk
        return real(paths, names, *args, **kwargs)

    monkeypatch.setattr(services, "import_files", spy)
    response = _upload(login("analyst"), workbook)
    assert response.status_code == 302
    ((path, data),) = seen
    assert path.parent == upload_dir and path.suffix == ".xlsx" and data == workbook.read_bytes()
    assert _left(upload_dir) == []  # removed when the request ended


def test_stale_upload_files_are_swept(login, upload_dir, workbook):
    upload_dir.mkdir(parents=True)
    stale, fresh = upload_dir / "tmpold.upload.xlsx", upload_dir / "tmpnew.upload.xlsx"
    for p in (stale, fresh):
        p.write_bytes(b"left by a killed worker")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    assert _upload(login("analyst"), workbook).status_code == 302
    assert _left(upload_dir) == [fresh.name]  # another request's file, maybe still in use
