"""Opens an image the careful way: dimensions from the header first, and only an image
within the pixel limit is decoded, so a 20,000 x 20,000 PNG is refused without its 1.2 GB
ever being allocated. A JPEG is decoded at 1/8 scale (the decoder still reads every byte,
so truncation is caught, in 1/64 of the memory)."""

from __future__ import annotations

import re
import struct
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from PIL import Image, ImageFile

if TYPE_CHECKING:
    from .source import FileSource

PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True)
class ImageProbe:
    readable: bool
    format: str = ""
    width: int | None = None
    height: int | None = None
    pixels: int | None = None
    too_many_pixels: bool = False
    error: str = ""


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def header_dimensions(handle: BinaryIO) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR or a JPEG's start-of-frame segment, reading only
    headers; None if neither is found."""
    head = handle.read(24)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if head[:2] != b"\xff\xd8":
        return None
    handle.seek(2)
    for _ in range(1000):  # markers before the frame header: APPn, DQT, COM ...
        marker = handle.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue
        length_bytes = handle.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker[1] in _SOF_MARKERS:
            frame = handle.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return int(width), int(height)
        handle.seek(length - 2, 1)
    return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def probe_image(source: FileSource, *, max_pixels: int) -> ImageProbe:
    sniffed = source.sniffed_type
    formats = (
        [PILLOW_FORMATS[sniffed]] if sniffed in PILLOW_FORMATS else list(PILLOW_FORMATS.values())
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit and refuses above twice that; ours is lower
            # and decides, so its warning is noise here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with source.open() as handle:
                try:
                    image = Image.open(handle, formats=formats)
                except Image.DecompressionBombError as exc:
                    # Past twice its own limit Pillow refuses before telling the size; read
                    # it from the header so the evidence says what the file claims.
                    match = _BOMB_PIXELS.search(str(exc))
                    handle.seek(0)
                    dims = header_dimensions(handle)
                    return ImageProbe(
                        readable=False,
                        width=dims[0] if dims else None,
                        height=dims[1] if dims else None,
                        pixels=int(match.group(1)) if match else None,
                        too_many_pixels=True,
                        error=_describe(exc),
                    )
                width, height = image.size
                fmt = str(image.format or "")
                if width < 1 or height < 1:
                    return ImageProbe(readable=False, format=fmt, error="empty image")
                if width * height > max_pixels:
                    return ImageProbe(
                        readable=False,
                        format=fmt,
                        width=width,
                        height=height,
                        pixels=width * height,
                        too_many_pixels=True,
                    )
                image.verify()  # structure and checksums (PNG CRCs) without decoding
            with source.open() as handle:
                image = Image.open(handle, formats=formats)
                if image.format == "JPEG":
                    image.draft(
                        "RGB" if image.mode not in ("L", "RGB") else image.mode,
                        (max(1, width // 8), max(1, height // 8)),
                    )
                # A library imported into the same process may have switched Pillow to
                # accepting truncated files (WeasyPrint does, process-wide, on import); a
                # truncated upload must still fail here.
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                image.load()  # a truncated or corrupt stream raises here
        return ImageProbe(
            readable=True, format=fmt, width=width, height=height, pixels=width * height
        )
    except Exception as exc:
        return ImageProbe(readable=False, error=_describe(exc))
