"""An upload handler that refuses a file over the size limit before it is stored."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


def human_size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}".replace(".0 ", " ")
        n /= 1000  # type: ignore[assignment]
    return f"{n} bytes"


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the chain: stops the upload as soon as it passes UPLOAD_MAX_BYTES.

    The Content-Length is checked up front; a client that lies about it is
    still stopped when the received bytes pass the limit. The view reads
    `request.upload_refused` to tell the person why.
    """

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_BYTES
        self.received = 0
        request.upload_refused = ""  # type: ignore[attr-defined]

    def _refuse(self, size: int) -> None:
        self.request.upload_refused = (  # type: ignore[union-attr]
            f"This file is {human_size(size)}; the limit is {human_size(self.limit)}. "
            "Split it, or remove columns you do not need, and upload again."
        )
        raise StopUpload(connection_reset=True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: ANN001, N803
        if content_length and content_length > self.limit + 64 * 1024:
            self._refuse(content_length)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse(self.received)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
