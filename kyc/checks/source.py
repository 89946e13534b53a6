"""The file under check: bytes in memory (tests, small uploads) or a local path (the
pipeline spools the stored object to a temporary file, so a 50 MB upload is never held in
memory). Parsed views of it (PDF scan, image probe) are computed once and shared by the
checks that need them; each is derived from the bytes alone, so the checks stay pure."""

from __future__ import annotations

import io
import os
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import filetype

from .image_probe import ImageProbe, probe_image
from .pdf_scan import PdfScan, scan_pdf

HEAD_BYTES = 8192


class FileSource:
    def __init__(self, *, data: bytes | None = None, path: str | Path | None = None) -> None:
        if (data is None) == (path is None):
            raise ValueError("give exactly one of data or path")
        self._data = data
        self._path = Path(path) if path is not None else None
        self._cache: dict[tuple[str, int], object] = {}

    @classmethod
    def from_bytes(cls, data: bytes) -> FileSource:
        return cls(data=data)

    def open(self) -> BinaryIO:
        """A fresh binary stream positioned at 0 (the caller closes it)."""
        if self._data is not None:
            return io.BytesIO(self._data)
        assert self._path is not None
        return open(self._path, "rb")  # noqa: SIM115 - the caller closes it

    @property
    def path(self) -> Path | None:
        return self._path

    @cached_property
    def size(self) -> int:
        if self._data is not None:
            return len(self._data)
        assert self._path is not None
        return os.path.getsize(self._path)

    @cached_property
    def head(self) -> bytes:
        with self.open() as handle:
            return handle.read(HEAD_BYTES)

    @cached_property
    def sniffed_type(self) -> str:
        return sniff(self.head)

    def pdf(self, max_objects: int) -> PdfScan:
        """The PDF scan, made once per file (and object budget)."""
        key = ("pdf", max_objects)
        if key not in self._cache:
            self._cache[key] = scan_pdf(self, max_objects=max_objects)
        scan = self._cache[key]
        assert isinstance(scan, PdfScan)
        return scan

    def image(self, max_pixels: int) -> ImageProbe:
        """The image probe, made once per file (and pixel limit)."""
        key = ("image", max_pixels)
        if key not in self._cache:
            self._cache[key] = probe_image(self, max_pixels=max_pixels)
        probe = self._cache[key]
        assert isinstance(probe, ImageProbe)
        return probe


def sniff(head: bytes) -> str:
    """The MIME type the leading bytes say, or "unknown"; never the name or the client's."""
    kind = filetype.guess(head) if head else None
    return kind.mime if kind else "unknown"


def sniffed_extension(head: bytes) -> str:
    kind = filetype.guess(head) if head else None
    return kind.extension if kind else ""
