"""The image is sharp enough to read: its short side has at least the minimum number of
pixels (an ID card scanned at 150 dpi is about 500 px high)."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed, warning
from .context import CheckContext
from .source import FileSource

NAME = "image_resolution"


@guarded(NAME)
def check(source: FileSource, ctx: CheckContext) -> CheckResult:
    probe = source.image(ctx.limits.max_image_pixels)
    minimum = ctx.limits.min_image_side_px
    if not probe.readable or not probe.width or not probe.height:
        return warning(
            NAME,
            "image_not_inspected",
            "The image's resolution could not be measured; see the other checks of this file.",
            "无法测量图片分辨率；请查看该文件的其他检查结果。",
        )
    short_side = min(probe.width, probe.height)
    if short_side < minimum:
        return failed(
            NAME,
            "image_resolution_too_low",
            f"This image is too small to read ({probe.width} × {probe.height} pixels; the "
            f"shorter side needs at least {minimum}). Scan or photograph the document again "
            "at a higher resolution.",
            f"图片分辨率过低，无法辨认（{probe.width} × {probe.height} 像素；短边至少需要 "
            f"{minimum} 像素）。请以更高分辨率重新扫描或拍摄。",
            width=probe.width,
            height=probe.height,
            min_side=minimum,
        )
    return passed(
        NAME,
        "image_resolution_ok",
        f"The image resolution is sufficient ({probe.width} × {probe.height} pixels).",
        f"图片分辨率满足要求（{probe.width} × {probe.height} 像素）。",
        width=probe.width,
        height=probe.height,
        min_side=minimum,
    )
