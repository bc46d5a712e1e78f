"""Imports: a canonical dataset workbook or the bureaus' own files, uploaded on the data page, become
a staged version; a broken file is refused with every problem listed and nothing stored; commit
makes the version the current data (and refreshes the directory), discard leaves it aside."""

from __future__ import annotations

import uuid
from pathlib import Path

import openpyxl
import pytest
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


def _upload(client, *paths: Path, nonce: str | None = None):
    files = [SimpleUploadedFile(p.name, p.read_bytes()) for p in paths]
    return client.post("/data/", {"files": files, "nonce": nonce or uuid.uuid4().hex})


def test_canonical_workbook_is_staged_then_committed(login, small, workbook):
    client = login("analyst")
    old_head = services.head()
    before = DataVersion.objects.count()
    response = _upload(client, workbook, nonce="data-1")
    assert response.status_code == 302
    version = DataVersion.objects.get(nonce="data-1")
    assert response["Location"] == f"/data/{version.pk}/"
    assert version.status == DataVersion.Status.STAGED
    assert version.kind == DataVersion.Kind.IMPORT
    assert version.fingerprint == small.fingerprint()
    assert version.enterprises == 60 and version.years == [2021, 2022]
    assert version.files == ["district.xlsx"]
    assert version.created_by.username == "analyst"
    assert set(version.tables.values_list("name", flat=True)) == set(small.tables())
    # the same form twice: one version
    assert _upload(client, workbook, nonce="data-1")["Location"] == f"/data/{version.pk}/"
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
    _upload(client, workbook, nonce="data-2")
    version = DataVersion.objects.get(nonce="data-2")
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
    response = _upload(client, *paths, nonce="bureaus-1")
    assert response.status_code == 302, response.content.decode()[-3000:]
    version = DataVersion.objects.get(nonce="bureaus-1")
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
