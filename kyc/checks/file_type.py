"""The file is not empty, within the size limit, and its bytes (never its name, never the
client's Content-Type) say it is one of the allowed types. The upload refuses a file this
check fails, with this check's code and message; the pipeline records it again for files
that arrived before a limit was tightened."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed
from .context import CheckContext, CheckLimits
from .source import FileSource, sniff, sniffed_extension

NAME = "file_type"
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
TYPE_NAMES_ZH_JOIN = "、"


def human_size(n: int) -> str:
    """1048576 -> "1 MB", 1536 -> "1.5 KB": the size a seller reads."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            value = n / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def allowed_names(limits: CheckLimits) -> tuple[str, str]:
    names = [TYPE_NAMES.get(t, t) for t in limits.allowed_types]
    en = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
    zh = (
        TYPE_NAMES_ZH_JOIN.join(names[:-1]) + f" 或 {names[-1]}"
        if len(names) > 1
        else "".join(names)
    )
    return en, zh


def check_file_type(head: bytes, size: int | None, limits: CheckLimits) -> CheckResult:
    """`head` is the first bytes of the file (8 KB is plenty), `size` its length when known."""
    if size == 0 or not head:
        return failed(
            NAME,
            "file_empty",
            "The file is empty. Choose the scanned document itself and upload it again.",
            "文件是空的。请选择扫描件或照片本身，重新上传。",
            size=0,
        )
    if size is not None and size > limits.max_bytes:
        return failed(
            NAME,
            "file_too_large",
            f"The file is {human_size(size)}; the limit is {human_size(limits.max_bytes)}. "
            "Reduce the scan resolution or split the document.",
            f"文件大小为 {human_size(size)}，超过 {human_size(limits.max_bytes)} 的上限。"
            "请降低扫描分辨率或拆分文件后重新上传。",
            size=size,
            max_bytes=limits.max_bytes,
        )
    sniffed = sniff(head)
    allowed_en, allowed_zh = allowed_names(limits)
    if sniffed not in limits.allowed_types:
        ext = sniffed_extension(head).upper()
        if ext:
            article = "an" if ext[0] in "AEIOU" else "a"
            found_en, found_zh = f"{article} {ext} file", f"{ext} 文件"
        else:
            found_en, found_zh = "not a recognised document", "无法识别的格式"
        return failed(
            NAME,
            "unsupported_file_type",
            f"This file is {found_en}, whatever its name says. Upload a {allowed_en} file.",
            f"无论文件名是什么，此文件实际上是{found_zh}。请上传 {allowed_zh} 文件。",
            sniffed_type=sniffed,
            allowed_types=list(limits.allowed_types),
            size=size,
        )
    return passed(
        NAME,
        "file_type_allowed",
        f"The file is a {TYPE_NAMES.get(sniffed, sniffed)} within the size limit.",
        f"文件为 {TYPE_NAMES.get(sniffed, sniffed)} 格式，大小符合要求。",
        sniffed_type=sniffed,
        size=size,
    )


@guarded(NAME)
def check(source: FileSource, ctx: CheckContext) -> CheckResult:
    return check_file_type(source.head, source.size, ctx.limits)
