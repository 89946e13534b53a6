"""The PDF opens: it parses, needs no password, and has pages within the page limit."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed, warning
from .context import CheckContext
from .source import FileSource

NAME = "pdf_structure"


@guarded(NAME)
def check(source: FileSource, ctx: CheckContext) -> CheckResult:
    scan = source.pdf(ctx.limits.max_pdf_objects)
    if not scan.readable:
        return failed(
            NAME,
            "pdf_unreadable",
            "This PDF is damaged and cannot be opened. Export or scan the document again and "
            "upload the new PDF.",
            "此 PDF 文件已损坏，无法打开。请重新导出或重新扫描后上传新的 PDF。",
            error=scan.error,
        )
    if scan.needs_password:
        return failed(
            NAME,
            "pdf_encrypted",
            "This PDF is password-protected, so it cannot be reviewed. Remove the password "
            "(save or print it as a new PDF without protection) and upload it again.",
            "此 PDF 设置了密码，无法审核。请去除密码（另存或打印为不加密的新 PDF）后重新上传。",
            encrypted=True,
            needs_password=True,
        )
    if not scan.page_count:
        return failed(
            NAME,
            "pdf_unreadable",
            "This PDF has no pages. Export or scan the document again and upload the new PDF.",
            "此 PDF 没有任何页面。请重新导出或重新扫描后上传新的 PDF。",
            page_count=0,
        )
    if scan.page_count > ctx.limits.max_pdf_pages:
        return failed(
            NAME,
            "too_many_pages",
            f"This PDF has {scan.page_count} pages; at most {ctx.limits.max_pdf_pages} are "
            "accepted. Upload only the pages of this document.",
            f"此 PDF 共 {scan.page_count} 页，最多接受 {ctx.limits.max_pdf_pages} 页。"
            "请只上传该文件本身的页面。",
            page_count=scan.page_count,
            max_pages=ctx.limits.max_pdf_pages,
        )
    if scan.too_complex:
        return failed(
            NAME,
            "pdf_too_complex",
            "This PDF is too complex to check automatically. Print it to a new PDF or scan the "
            "paper document, and upload that.",
            "此 PDF 结构过于复杂，无法自动检查。请将其打印为新的 PDF 或扫描纸质文件后上传。",
            page_count=scan.page_count,
            objects_visited=scan.objects_visited,
            max_objects=ctx.limits.max_pdf_objects,
        )
    if scan.encrypted:
        return warning(
            NAME,
            "pdf_permissions_restricted",
            "This PDF opens without a password but restricts printing or copying. If you can, "
            "upload a copy without restrictions.",
            "此 PDF 无需密码即可打开，但限制了打印或复制。如有可能，请上传不受限制的版本。",
            page_count=scan.page_count,
            encrypted=True,
            needs_password=False,
        )
    return passed(
        NAME,
        "pdf_readable",
        f"The PDF opens and has {scan.page_count} page(s).",
        f"PDF 可以正常打开，共 {scan.page_count} 页。",
        page_count=scan.page_count,
    )
