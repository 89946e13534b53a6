"""First-page previews for the reviewer's viewer: a PDF's first page rendered by PDFium
(pypdfium2, no JavaScript engine, forms not initialised) as PNG (or JPEG for a scanned
page), an image scaled down as JPEG; at most PREVIEW_MAX_SIDE pixels on the longer side.
Only files that passed their safety checks are rendered, and a file that still fails to
render gets no preview, never a crashed task."""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps

from kyc.checks.image_probe import PILLOW_FORMATS
from kyc.checks.source import FileSource

logger = logging.getLogger(__name__)

PREVIEW_MAX_SIDE = 1200
# A tiny page is not blown up past this (216 dpi for a PDF at 72 points per inch).
PDF_MAX_SCALE = 3.0
# PDFium is not thread-safe; the embedded demo runs tasks in the web server's threads.
_PDFIUM_LOCK = threading.Lock()
PNG_MAX_COLOURS = 4096


@dataclass(frozen=True)
class Preview:
    data: bytes
    width: int
    height: int
    content_type: str
    extension: str


def preview_key(*, merchant_id: int, document_uuid: str, extension: str) -> str:
    """Deterministic from the document: a rerun overwrites, never duplicates."""
    return f"previews/merchant-{merchant_id}/{document_uuid}.{extension}"


def render_preview(
    source: FileSource, *, max_side: int = PREVIEW_MAX_SIDE, max_pixels: int
) -> Preview | None:
    try:
        kind = source.sniffed_type
        if kind == "application/pdf":
            with _PDFIUM_LOCK:
                return _pdf_preview(source, max_side=max_side)
        if kind in PILLOW_FORMATS:
            return _image_preview(source, kind=kind, max_side=max_side, max_pixels=max_pixels)
    except Exception as exc:
        logger.warning("no preview: %r", exc)
    return None


def _encode(image: Image.Image, fmt: str) -> Preview:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", quality=85, optimize=True)
        content_type, extension = "image/jpeg", "jpg"
    else:
        image.save(out, format="PNG", compress_level=1)
        content_type, extension = "image/png", "png"
    return Preview(out.getvalue(), image.width, image.height, content_type, extension)


def _pdf_preview(source: FileSource, *, max_side: int) -> Preview | None:
    import pypdfium2 as pdfium

    if source.path is not None:
        document = pdfium.PdfDocument(str(source.path))
    else:
        with source.open() as handle:
            document = pdfium.PdfDocument(handle.read())
    try:
        if len(document) < 1:
            return None
        page = document[0]
        try:
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                return None
            scale = min(max_side / max(width, height), PDF_MAX_SCALE)
            bitmap = page.render(scale=scale)
            try:
                image = bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        document.close()
    image.thumbnail((max_side, max_side))
    # A born-digital page (text and lines on flat paper) is mostly one colour: PNG keeps it
    # crisp and small. A scanned page is a photograph of paper: JPEG is a fifth of the
    # size and some 50 times faster to encode.
    small = image.reduce(4)
    colours = small.getcolors(maxcolors=PNG_MAX_COLOURS)
    is_flat = colours is not None and max(n for n, _ in colours) * 2 >= small.width * small.height
    return _encode(image, "PNG" if is_flat else "JPEG")


def _image_preview(source: FileSource, *, kind: str, max_side: int, max_pixels: int) -> Preview:
    with warnings.catch_warnings(), source.open() as handle:
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image: Image.Image = Image.open(handle, formats=[PILLOW_FORMATS[kind]])
        if image.width * image.height > max_pixels:
            raise ValueError("image over the pixel limit")
        if image.format == "JPEG" and isinstance(image, ImageFile.ImageFile):
            image.draft("RGB", (max_side, max_side))  # decode at the smallest scale >= max_side
        image.load()
        image = ImageOps.exif_transpose(image) or image
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.thumbnail((max_side, max_side))
        return _encode(image.convert("RGB"), "JPEG")
