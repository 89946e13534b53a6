"""Importer for the OFAC SDN list in its published legacy CSV format (`sdn.csv`).

The format, as published and never "cleaned up" first: no header row; CRLF line endings; 12
columns (ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
Vess_flag, Vess_owner, Remarks); the literal `-0- ` for an empty value; aliases only inside
Remarks (`a.k.a. 'X'; f.k.a. 'Y'; n.k.a. 'Z'.`); a DOS end-of-file byte (0x1A) on the last
line. The parser is strict: a file that does not have exactly this shape is refused with the
line at fault, and nothing changes, so the list in force stays in force.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from audit.services import audit_record
from config.errors import InvalidInput
from kyc.models import SanctionsEntry, SanctionsList

SOURCE_OFAC_SDN = "ofac_sdn"
COLUMNS = 12
EMPTY = "-0-"
EOF_BYTE = b"\x1a"
# The published SDN file is about 4 MB; anything far larger is not it.
MAX_FILE_BYTES = 64 * 1024 * 1024
URL_TIMEOUT_SECONDS = 60
BULK_BATCH_SIZE = 2000
ENTRY_TYPES = {"individual": "individual", "vessel": "vessel", "aircraft": "aircraft", "": "entity"}
# Longest values the models hold; longer ones mean the file is not what it claims to be.
MAX_NAME_CHARS = 500
MAX_LIST_ID_CHARS = 40

_ALIAS = re.compile(r"^([afn])\.k\.a\.,?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_REGISTRATION = re.compile(
    r"^(?P<type>(?:Business |Company |Commercial )?Registration (?:Number|ID)|Tax ID No\.|"
    r"Company Number|National ID No\.|Passport|Cedula No\.|RUC #|NIT #|"
    r"Vessel Registration Identification|Identification Number|"
    r"Government Gazette Number|SWIFT/BIC|MMSI|V\.A\.T\. Number|Folio Mercantil No\.|"
    r"Legal Entity Number|UK Company Number|Trade License No\.|Registration Number)"
    r"\s+(?P<number>[^()]+?)\s*(?:\((?P<country>[^)]*)\))?$",
    re.IGNORECASE,
)
_DETAIL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("alt. DOB ", "dob"),
    ("DOB ", "dob"),
    ("alt. POB ", "pob"),
    ("POB ", "pob"),
    ("alt. nationality ", "nationality"),
    ("nationality ", "nationality"),
    ("alt. citizen ", "citizenship"),
    ("citizen ", "citizenship"),
    ("Gender ", "gender"),
    ("Linked To: ", "linked_to"),
    ("Website ", "website"),
    ("alt. Website ", "website"),
    ("Email Address ", "email"),
    ("alt. Email Address ", "email"),
    ("Organization Established Date ", "established"),
    ("Organization Type: ", "organization_type"),
)


class SanctionsImportError(InvalidInput):
    """The file is not a well-formed list in the expected format; nothing was changed."""

    code = "sanctions_file_invalid"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        text = f"line {line}: {message}" if line else message
        super().__init__(text, details={"line": line} if line else {})
        self.line = line


@dataclass
class ParsedEntry:
    list_id: str
    entry_type: str
    primary_name: str
    names: list[dict[str, str]]
    programs: list[str]
    remarks: str
    details: dict[str, Any]


@dataclass
class ImportResult:
    sanctions_list: SanctionsList
    changed: bool
    previous: SanctionsList | None
    entry_count: int
    alias_count: int
    messages: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        lst = self.sanctions_list
        if not self.changed:
            return (
                f"{lst.source} list #{lst.pk} (sha256 {lst.sha256[:12]}…) is already active "
                f"with {lst.entry_count} entries: importing it again changes nothing."
            )
        replaced = f", replacing list #{self.previous.pk}" if self.previous else ""
        return (
            f"Imported {lst.source} list #{lst.pk} from {lst.label}: {self.entry_count} entries, "
            f"{self.alias_count} aliases (sha256 {lst.sha256[:12]}…){replaced}; it is now "
            "the active list."
        )


# --------------------------------------------------------------------------- parsing


def _value(raw: str) -> str:
    value = raw.strip()
    return "" if value == EMPTY else value


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise SanctionsImportError("this is a binary file, not the SDN CSV (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # The publisher's files are ASCII or Windows-1252; Latin-1 decodes any byte, so the
        # bytes cp1252 leaves undefined cannot make the import fail.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _strip_eof(text: str) -> str:
    body = text.rstrip("\r\n")
    if body.endswith("\x1a"):
        body = body[:-1].rstrip("\r\n")
    if "\x1a" in body:
        line = body[: body.index("\x1a")].count("\n") + 1
        raise SanctionsImportError("end-of-file byte (0x1A) before the end of the file", line=line)
    return body


def parse_aliases(remarks: str) -> list[dict[str, str]]:
    """`a.k.a. 'X'; f.k.a. 'Y'.` -> [{"name": "X", "kind": "aka"}, {"name": "Y", ...}].

    Names hold apostrophes (`'ABU-'UMAR'`, `'MERA'I'`), so a name is the whole remark item
    between its first and last quote, never up to the next quote. The publisher cuts long
    Remarks, which can leave a last alias without its closing quote: it is kept as written.
    """
    aliases: list[dict[str, str]] = []
    for item in remarks.split(";"):
        match = _ALIAS.match(item.strip())
        if not match:
            continue
        kind = match.group(1).lower() + "ka"
        value = match.group(2).strip()
        if value.endswith("'.") or (value.endswith(".") and value.count("'") >= 2):
            value = value[:-1] if value.endswith("'.") else value
        if value.startswith("'"):
            value = value[1:]
        if value.endswith("'"):
            value = value[:-1]
        value = value.strip()
        if sum(ch.isalnum() for ch in value) >= 1 and len(value) <= MAX_NAME_CHARS:
            aliases.append({"name": value, "kind": kind})
    return aliases


def parse_details(remarks: str, row: list[str]) -> dict[str, Any]:
    """Identifiers worth showing a reviewer beside a hit: dates and places of birth,
    nationality, registration numbers, vessel particulars."""
    details: dict[str, Any] = {}

    def add(key: str, value: Any) -> None:
        details.setdefault(key, []).append(value)

    for item in remarks.split(";"):
        item = item.strip().rstrip(".").strip()
        if not item or _ALIAS.match(item):
            continue
        for prefix, key in _DETAIL_PREFIXES:
            if item.startswith(prefix):
                add(key, item[len(prefix) :].strip())
                break
        else:
            registration = _REGISTRATION.match(item.removeprefix("alt. "))
            if registration:
                number = registration.group("number").strip()
                entry = {"type": registration.group("type"), "number": number}
                if registration.group("country"):
                    entry["country"] = registration.group("country").strip()
                add("registrations", entry)
    title, call_sign, vessel_type, tonnage, grt, flag, owner = (_value(v) for v in row[4:11])
    for key, value in (
        ("title", title),
        ("call_sign", call_sign),
        ("vessel_type", vessel_type),
        ("tonnage", tonnage),
        ("grt", grt),
        ("vessel_flag", flag),
        ("vessel_owner", owner),
    ):
        if value:
            details[key] = value
    return details


def parse_sdn_csv(data: bytes) -> list[ParsedEntry]:
    """Parses the whole file or raises SanctionsImportError naming the line at fault."""
    text = _strip_eof(_decode(data))
    if not text.strip():
        raise SanctionsImportError("the file holds no entries")
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    try:
        for row in reader:
            line_start = line + 1
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            entries.append(_parse_row(row, line_start, seen))
    except csv.Error as exc:
        raise SanctionsImportError(f"not valid CSV ({exc})", line=reader.line_num) from exc
    if not entries:
        raise SanctionsImportError("the file holds no entries")
    return entries


def _parse_row(row: list[str], line: int, seen: dict[str, int]) -> ParsedEntry:
    if len(row) != COLUMNS:
        raise SanctionsImportError(
            f"expected {COLUMNS} columns (the SDN CSV format), found {len(row)}", line=line
        )
    ent_num = row[0].strip()
    if not ent_num.isascii() or not ent_num.isdigit() or len(ent_num) > MAX_LIST_ID_CHARS:
        raise SanctionsImportError(
            f"the entry number {ent_num[:40]!r} is not a number: is this the SDN CSV?", line=line
        )
    ent_num = str(int(ent_num))
    if ent_num in seen:
        raise SanctionsImportError(
            f"entry number {ent_num} appears twice (first on line {seen[ent_num]})", line=line
        )
    seen[ent_num] = line
    name = _value(row[1])
    if not name or len(name) > MAX_NAME_CHARS:
        raise SanctionsImportError(f"entry {ent_num} has no usable name", line=line)
    sdn_type = _value(row[2]).lower()
    if sdn_type not in ENTRY_TYPES:
        raise SanctionsImportError(
            f"entry {ent_num} has an unknown type {row[2].strip()[:40]!r}", line=line
        )
    program = _value(row[3])
    programs = [p.strip(" []") for p in program.split("] [")] if program else []
    remarks = _value(row[11])
    names = [{"name": name, "kind": "primary"}]
    seen_names = {name}
    for alias in parse_aliases(remarks):
        if alias["name"] not in seen_names:
            seen_names.add(alias["name"])
            names.append(alias)
    return ParsedEntry(
        list_id=ent_num,
        entry_type=ENTRY_TYPES[sdn_type],
        primary_name=name,
        names=names,
        programs=[p for p in programs if p],
        remarks=remarks,
        details=parse_details(remarks, row),
    )


# --------------------------------------------------------------------------- reading


def _is_url(location: str) -> bool:
    return urllib.parse.urlsplit(location).scheme.lower() in {"http", "https"}


def read_source(location: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, from a path or an http(s) URL. A download is streamed to a temporary
    file and refused past `max_bytes`, so a wrong URL cannot fill memory."""
    location = os.fspath(location)
    if _is_url(location):
        return _download(location, max_bytes=max_bytes)
    path = Path(location)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SanctionsImportError(f"{path} is {size} bytes, more than the {max_bytes} allowed")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SanctionsImportError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise SanctionsImportError(f"{path} is a directory, not a file") from exc
    except OSError as exc:
        raise SanctionsImportError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _download(url: str, *, max_bytes: int) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "merchant-kyc sanctions import"})
    try:
        with (
            urllib.request.urlopen(request, timeout=URL_TIMEOUT_SECONDS) as response,  # noqa: S310
            tempfile.TemporaryFile() as spool,
        ):
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise SanctionsImportError(f"{url} is {length} bytes, more than {max_bytes}")
            copied = 0
            while chunk := response.read(64 * 1024):
                copied += len(chunk)
                if copied > max_bytes:
                    raise SanctionsImportError(f"{url} is more than {max_bytes} bytes")
                spool.write(chunk)
            spool.seek(0)
            return spool.read()
    except SanctionsImportError:
        raise
    except (OSError, ValueError) as exc:
        raise SanctionsImportError(f"cannot download {url}: {exc}") from exc


# --------------------------------------------------------------------------- importing


def active_list(source: str = SOURCE_OFAC_SDN) -> SanctionsList | None:
    return SanctionsList.objects.filter(source=source, is_active=True).first()


def import_sanctions_list(
    *,
    location: str | os.PathLike[str],
    actor: Any = None,
    source: str = SOURCE_OFAC_SDN,
    label: str | None = None,
) -> ImportResult:
    """Imports a published SDN file as the new active version of `source`.

    Guarantees: the file is parsed and validated completely before anything is written; the
    new version, its entries, the switch of the active version and the audit event commit
    together or not at all, so on any error the previous active list stays active; a file
    whose SHA-256 equals the active version's changes nothing (no new version, no event).
    """
    data = read_source(location)
    return import_sanctions_data(
        data=data, actor=actor, source=source, label=label or os.fspath(location)
    )


def import_sanctions_data(
    *, data: bytes, label: str, actor: Any = None, source: str = SOURCE_OFAC_SDN
) -> ImportResult:
    """`import_sanctions_list` for bytes already read."""
    sha256 = hashlib.sha256(data).hexdigest()
    current = active_list(source)
    if current is not None and current.sha256 == sha256:
        return _unchanged(current)
    entries = parse_sdn_csv(data)
    alias_count = sum(len(e.names) - 1 for e in entries)
    with transaction.atomic():
        previous = (
            SanctionsList.objects.select_for_update().filter(source=source, is_active=True).first()
        )
        if previous is not None and previous.sha256 == sha256:
            return _unchanged(previous)  # a concurrent import of the same file won
        new_list = SanctionsList.objects.create(
            source=source,
            label=label[:200],
            sha256=sha256,
            entry_count=len(entries),
            name_count=len(entries) + alias_count,
            is_active=False,
            imported_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        SanctionsEntry.objects.bulk_create(
            (
                SanctionsEntry(
                    sanctions_list=new_list,
                    list_id=e.list_id,
                    entry_type=e.entry_type,
                    primary_name=e.primary_name,
                    names=e.names,
                    programs=e.programs,
                    remarks=e.remarks,
                    details=e.details,
                )
                for e in entries
            ),
            batch_size=BULK_BATCH_SIZE,
        )
        # The old version goes inactive first: the database allows one active list per source.
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active"])
        new_list.is_active = True
        new_list.save(update_fields=["is_active"])
        audit_record(
            action="sanctions.imported",
            actor=actor,
            obj=new_list,
            before=({"active_list": previous.pk, "sha256": previous.sha256} if previous else None),
            after={
                "active_list": new_list.pk,
                "source": source,
                "label": new_list.label,
                "sha256": sha256,
                "entries": len(entries),
                "aliases": alias_count,
            },
            text=f"{source} list imported from {new_list.label}",
        )
    return ImportResult(
        sanctions_list=new_list,
        changed=True,
        previous=previous,
        entry_count=len(entries),
        alias_count=alias_count,
    )


def _unchanged(current: SanctionsList) -> ImportResult:
    return ImportResult(
        sanctions_list=current,
        changed=False,
        previous=current,
        entry_count=current.entry_count,
        alias_count=current.name_count - current.entry_count,
    )
