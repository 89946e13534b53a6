"""The PDF carries no embedded files or file attachments: they could hide anything, and a
reviewer would never see them in the viewer."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed, warning
from .context import CheckContext
from .source import FileSource

NAME = "pdf_embedded_files"


@guarded(NAME)
def check(source: FileSource, ctx: CheckContext) -> CheckResult:
    scan = source.pdf(ctx.limits.max_pdf_objects)
    if not scan.readable or scan.needs_password or scan.too_complex:
        return warning(
            NAME,
            "pdf_not_inspected",
            "The PDF could not be inspected for attachments; see the other checks of this file.",
            "无法检查此 PDF 是否含有附件；请查看该文件的其他检查结果。",
            readable=scan.readable,
            needs_password=scan.needs_password,
        )
    if scan.embedded_files:
        return failed(
            NAME,
            "pdf_embedded_files",
            "This PDF has files attached inside it, which we do not accept. Upload the "
            "document alone: print it to a new PDF without the attachments.",
            "此 PDF 内嵌了附件文件，我们不予接受。请只上传文件本身：将其打印为不含附件的新 PDF。",
            embedded_files=list(scan.embedded_files),
        )
    return passed(
        NAME,
        "pdf_no_embedded_files",
        "The PDF has no embedded files or attachments.",
        "PDF 不含内嵌文件或附件。",
    )
