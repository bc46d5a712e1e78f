"""Receiving uploads: each file is written once, straight to a file of its own in mujun's upload
folder (never held in memory, never copied again), and the receiving stops as soon as the request
passes MUJUN_UPLOAD_LIMIT. The files go when the request ends; what a killed worker left behind is
swept on the next upload."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

logger = logging.getLogger(__name__)

STALE_SECONDS = 24 * 3600
"""An upload file older than this belongs to no request any more (a request takes minutes)."""


def upload_limit() -> int:
    return int(settings.MUJUN_UPLOAD_LIMIT)


def upload_dir() -> Path:
    """mujun's own folder for files being uploaded (MUJUN_UPLOAD_DIR, or one in the system's
    temporary folder), readable by this user only."""
    folder = getattr(settings, "MUJUN_UPLOAD_DIR", None) or (
        Path(tempfile.gettempdir()) / "mujun-uploads"
    )
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def sweep(max_age: float = STALE_SECONDS) -> int:
    """Delete upload files older than `max_age` seconds (left by a killed worker); the count."""
    removed = 0
    cutoff = time.time() - max_age
    for entry in upload_dir().iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except OSError:  # another process swept it first
            continue
    if removed:
        logger.warning("removed %d stale upload file(s) from %s", removed, upload_dir())
    return removed


class UploadFile(TemporaryUploadedFile):
    """An upload on disk in the upload folder, deleted when closed (at the end of the request)."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        # the suffix tells the readers the format; the user's name stays out of the path
        ext = os.path.splitext(name)[1][:16]
        file = tempfile.NamedTemporaryFile(suffix=".upload" + ext, dir=upload_dir())  # noqa: SIM115
        super(TemporaryUploadedFile, self).__init__(
            file, name, content_type, size, charset, content_type_extra
        )


class LimitedUploadHandler(FileUploadHandler):
    """Write every file of the request to disk once, and stop receiving when the request's body
    passes the limit (said by its Content-Length, or counted as the bytes come): then
    `request.upload_refused` is set and whatever was received is deleted."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = upload_limit()
        self.received = 0
        if request is not None:
            request.upload_refused = False

    def _refuse(self, seen: int):
        logger.warning(
            "upload refused: %d bytes or more, the limit is %d (user %s)",
            seen,
            self.limit,
            getattr(getattr(self.request, "user", None), "pk", None),
        )
        if self.request is not None:
            self.request.upload_refused = True
        if getattr(self, "file", None) is not None:
            self.file.close()
        raise StopUpload(connection_reset=True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit:
            try:
                self._refuse(content_length)
            except StopUpload:  # before reading anything: the request has no data at all
                return QueryDict(), MultiValueDict()
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = UploadFile(self.file_name, self.content_type, 0, self.charset)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse(self.received)
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self):
        if getattr(self, "file", None) is not None:
            self.file.close()
