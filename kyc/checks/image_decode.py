"""The image decodes, and within the pixel limit: its dimensions are read from the header
before any pixel is, so a decompression bomb is refused without being allocated."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed
from .context import CheckContext
from .source import FileSource

NAME = "image_decode"


@guarded(NAME)
def check(source: FileSource, ctx: CheckContext) -> CheckResult:
    limit = ctx.limits.max_image_pixels
    probe = source.image(limit)
    if probe.too_many_pixels:
        size = f"{probe.width} × {probe.height}" if probe.width else f"{probe.pixels} pixels"
        return failed(
            NAME,
            "image_too_many_pixels",
            f"This image is too large to process ({size}; at most {limit / 1e6:.0f} megapixels). "
            "Resize it or take the photo again at a normal resolution.",
            f"图片尺寸过大（{size}；最多 {limit / 1e6:.0f} 百万像素），无法处理。"
            "请缩小图片或以正常分辨率重新拍摄。",
            width=probe.width,
            height=probe.height,
            pixels=probe.pixels,
            max_pixels=limit,
        )
    if not probe.readable:
        return failed(
            NAME,
            "image_unreadable",
            "This image is damaged or incomplete and cannot be opened. Take the photo or scan "
            "again and upload the new file.",
            "此图片已损坏或不完整，无法打开。请重新拍摄或扫描后上传新文件。",
            error=probe.error,
        )
    return passed(
        NAME,
        "image_readable",
        f"The image opens ({probe.width} × {probe.height} pixels).",
        f"图片可以正常打开（{probe.width} × {probe.height} 像素）。",
        format=probe.format,
        width=probe.width,
        height=probe.height,
    )
