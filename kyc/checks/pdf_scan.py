"""One pass over a PDF's object graph, shared by the PDF checks.

What a viewer could act on is what is reachable from the trailer, so the scan walks that
graph (each indirect object once, iteratively: no recursion a hostile file can exhaust) and
notes JavaScript, launch actions and embedded files wherever they sit: the document's
/OpenAction, the /Names tree, page and annotation /AA actions, form fields, XFA. Content
streams, images and fonts are never read (see DATA_KEYS); only object streams are
decompressed, by pypdf under its own output limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pypdf import PasswordType, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

if TYPE_CHECKING:
    from .source import FileSource

MAX_FINDINGS = 20  # locations kept as evidence per kind
# Keys whose values are only ever data streams (page content, images and forms, fonts,
# thumbnails, XMP, an embedded file's bytes): no viewer runs an action found there, and
# not resolving them keeps pypdf from reading megabytes of image data into memory. The
# file specification holding /EF is itself reported as an embedded file.
DATA_KEYS = frozenset(
    {
        "/Contents",
        "/XObject",
        "/AP",
        "/FontFile",
        "/FontFile2",
        "/FontFile3",
        "/Thumb",
        "/Metadata",
        "/EF",
    }
)
NODES_PER_OBJECT = 20  # direct values allowed per indirect object in the walk budget


@dataclass(frozen=True)
class PdfScan:
    readable: bool
    error: str = ""
    encrypted: bool = False
    needs_password: bool = False
    page_count: int | None = None
    javascript: tuple[str, ...] = ()
    launch_actions: tuple[str, ...] = ()
    embedded_files: tuple[str, ...] = ()
    objects_visited: int = 0
    walk_complete: bool = False  # False: too complex, or not walkable (password)
    walk_errors: int = 0

    @property
    def too_complex(self) -> bool:
        return self.readable and not self.needs_password and not self.walk_complete


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def scan_pdf(source: FileSource, *, max_objects: int) -> PdfScan:
    try:
        with source.open() as handle:
            return _scan(handle, max_objects=max_objects)
    except Exception as exc:  # anything a malformed file makes pypdf raise
        return PdfScan(readable=False, error=_describe(exc))


def _scan(handle: Any, *, max_objects: int) -> PdfScan:
    reader = PdfReader(handle, strict=False)
    encrypted = bool(reader.is_encrypted)
    needs_password = False
    if encrypted:
        # Many "protected" PDFs only restrict printing or copying: they open with an empty
        # user password. Those can be read and scanned; the others cannot be read at all.
        try:
            needs_password = reader.decrypt("") == PasswordType.NOT_DECRYPTED
        except Exception:  # unsupported algorithm or missing crypto backend
            needs_password = True
    if needs_password:
        return PdfScan(readable=True, encrypted=True, needs_password=True)
    page_count = len(reader.pages)
    walk = _Walk(reader, max_objects=max_objects)
    walk.run()
    return PdfScan(
        readable=True,
        encrypted=encrypted,
        page_count=page_count,
        javascript=tuple(walk.javascript[:MAX_FINDINGS]),
        launch_actions=tuple(walk.launch[:MAX_FINDINGS]),
        embedded_files=tuple(walk.embedded[:MAX_FINDINGS]),
        objects_visited=walk.objects,
        walk_complete=walk.complete,
        walk_errors=walk.errors,
    )


def _name(value: Any) -> str:
    try:
        value = value.get_object() if isinstance(value, IndirectObject) else value
    except Exception:
        return ""
    return str(value) if isinstance(value, NameObject) else ""


class _Walk:
    def __init__(self, reader: PdfReader, *, max_objects: int) -> None:
        self.reader = reader
        self.max_objects = max_objects
        self.max_nodes = max_objects * NODES_PER_OBJECT
        self.javascript: list[str] = []
        self.launch: list[str] = []
        self.embedded: list[str] = []
        self.objects = 0
        self.nodes = 0
        self.errors = 0
        self.complete = False

    @staticmethod
    def _note(found: list[str], where: str) -> None:
        where = where[:200]
        if where not in found and len(found) < MAX_FINDINGS:
            found.append(where)

    def _inspect(self, obj: DictionaryObject, where: str) -> None:
        keys = set(dict.keys(obj))
        if "/JS" in keys:
            self._note(self.javascript, f"{where}: /JS action")
        if "/JavaScript" in keys:
            self._note(self.javascript, f"{where}: /JavaScript name tree")
        if "/XFA" in keys:
            self._note(self.javascript, f"{where}: XFA form (may carry scripts)")
        if "/S" in keys:
            action = _name(dict.__getitem__(obj, "/S"))
            if action == "/JavaScript":
                self._note(self.javascript, f"{where}: JavaScript action")
            elif action == "/Launch":
                self._note(self.launch, f"{where}: Launch action")
        if "/EmbeddedFiles" in keys:
            self._note(self.embedded, f"{where}: /EmbeddedFiles name tree")
        if "/EF" in keys:
            self._note(self.embedded, f"{where}: file specification with an embedded file")
        if "/Type" in keys and _name(dict.__getitem__(obj, "/Type")) == "/EmbeddedFile":
            self._note(self.embedded, f"{where}: embedded file stream")
        if "/Subtype" in keys and _name(dict.__getitem__(obj, "/Subtype")) == "/FileAttachment":
            self._note(self.embedded, f"{where}: file attachment annotation")

    def run(self) -> None:
        seen: set[tuple[int, int]] = set()
        # (object, where it sits, the key it was reached under: the evidence says both)
        stack: list[tuple[Any, str, str]] = [(self.reader.trailer, "trailer", "")]
        while stack:
            obj, where, via = stack.pop()
            self.nodes += 1
            if self.nodes > self.max_nodes:
                return
            if isinstance(obj, IndirectObject):
                key = (int(obj.idnum), int(obj.generation))
                if key in seen:
                    continue
                seen.add(key)
                self.objects += 1
                if self.objects > self.max_objects:
                    return
                try:
                    obj = obj.get_object()
                except Exception:
                    self.errors += 1
                    continue
                where = f"object {key[0]}" + (f" ({via})" if via else "")
            if isinstance(obj, DictionaryObject):  # stream objects are dictionaries too
                self._inspect(obj, where)
                for key_name, value in dict.items(obj):
                    if key_name in DATA_KEYS:
                        continue
                    if isinstance(value, IndirectObject | DictionaryObject | ArrayObject):
                        stack.append((value, f"{where} {key_name}", str(key_name)))
            elif isinstance(obj, ArrayObject):
                for value in list.__iter__(obj):
                    if isinstance(value, IndirectObject | DictionaryObject | ArrayObject):
                        stack.append((value, where, via))
        self.complete = True
