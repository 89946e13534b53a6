"""Real files for the check tests, built in memory: PDFs with pypdf (encrypted, scripted,
with attachments), images with Pillow, and hand-crafted headers for what must never be
allocated (a 20,000 x 20,000 PNG)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def pdf(
    pages: int = 1,
    *,
    customize: Callable[[PdfWriter], None] | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if customize is not None:
        customize(writer)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password=owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_open_action_js() -> bytes:
    return pdf(customize=lambda w: w.add_open_action(JavaScript("app.alert('hello');")))


def pdf_with_page_aa_js() -> bytes:
    """JavaScript hidden in a page's additional actions (/AA /O: run when the page opens)."""

    def add(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.launchURL('http://x');"),
            }
        )
        writer.pages[0][NameObject("/AA")] = DictionaryObject(
            {NameObject("/O"): writer._add_object(action)}
        )

    return pdf(customize=add)


def pdf_with_launch_action() -> bytes:
    def add(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("cmd.exe"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)

    return pdf(customize=add)


def pdf_with_attachment() -> bytes:
    return pdf(customize=lambda w: w.add_attachment("invoice.exe", b"MZ\x90\x00payload"))


def pdf_encrypted() -> bytes:
    return pdf(user_password="secret", owner_password="owner")


def pdf_restricted() -> bytes:
    """Opens without a password, but encrypted to restrict printing/copying."""
    return pdf(user_password="", owner_password="owner")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height (8-bit RGB) with a token IDAT: decoding it would
    allocate width * height * 3 bytes, which nothing must ever do."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def image(size: tuple[int, int] = (1000, 700), fmt: str = "PNG", noise: bool = False) -> bytes:
    if noise:
        img = Image.effect_noise(size, 64).convert("RGB")
    else:
        img = Image.new("RGB", size, (230, 235, 240))
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = image((1200, 900), "JPEG", noise=True)
    return data[: len(data) // 2]
