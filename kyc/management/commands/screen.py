"""`manage.py screen "NAME" [--type entity|individual] [--json] [--threshold N]` screens one
name against the active sanctions list; `manage.py screen --input FILE --json` screens one
JSON object per line ({"name": ..., "type": "entity"|"individual"}) and writes one JSON line
per query, in order: {"name": ..., "matches": [{"list_id", "listed_name", "matched_name",
"score", "explanation"}, ...]} with the matches at or above the threshold, best first."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kyc.screening.matcher import DEFAULT_THRESHOLD, Matcher, NoActiveSanctionsList, get_matcher
from kyc.screening.normalize import ENTITY, INDIVIDUAL

TYPES = (ENTITY, INDIVIDUAL)
# Every hit at or above the threshold is printed; this only bounds a pathological name.
MAX_MATCHES = 100


class Command(BaseCommand):
    help = "Screen a name (or a JSON-lines file of names) against the active sanctions list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="the name to screen")
        parser.add_argument("--type", choices=TYPES, default=ENTITY, dest="entity_type")
        parser.add_argument("--input", help="a file of JSON lines ('-' for standard input)")
        parser.add_argument("--json", action="store_true", help="write JSON lines")
        parser.add_argument(
            "--threshold",
            type=int,
            default=DEFAULT_THRESHOLD,
            help=f"lowest score reported, 0-100 (default {DEFAULT_THRESHOLD})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name, source = options["name"], options["input"]
        if bool(name) == bool(source):
            raise CommandError("Give either a NAME or --input FILE (one JSON object per line).")
        threshold = options["threshold"]
        if not 0 <= threshold <= 100:
            raise CommandError("--threshold must be between 0 and 100.")
        try:
            matcher = get_matcher()
        except NoActiveSanctionsList as exc:
            raise CommandError(exc.message) from exc
        if source:
            if source == "-":
                self._screen_lines(matcher, sys.stdin, threshold, options["json"])
                return
            try:
                with open(source, encoding="utf-8") as lines:
                    self._screen_lines(matcher, lines, threshold, options["json"])
            except OSError as exc:
                raise CommandError(f"cannot read {source}: {exc.strerror or exc}") from exc
            return
        self._write(matcher, name, options["entity_type"], threshold, options["json"])

    def _screen_lines(self, matcher: Matcher, lines: TextIO, threshold: int, as_json: bool) -> None:
        for number, name, entity_type in _queries(lines):
            if name is None:
                raise CommandError(f"line {number}: {entity_type}")
            self._write(matcher, name, entity_type, threshold, as_json)

    def _write(
        self, matcher: Matcher, name: str, entity_type: str, threshold: int, as_json: bool
    ) -> None:
        matches = matcher.match(name, entity_type, threshold=threshold, limit=MAX_MATCHES)
        if as_json:
            record = {"name": name, "matches": [m.as_dict() for m in matches]}
            self.stdout.write(json.dumps(record, ensure_ascii=False))
            return
        if not matches:
            self.stdout.write(f"{name} ({entity_type}): no match at or above {threshold}")
            return
        self.stdout.write(f"{name} ({entity_type}): {len(matches)} match(es)")
        for m in matches:
            self.stdout.write(f"  {m.score:3d}  {m.list_id}  {m.listed_name}")
            if m.matched_name != m.listed_name:
                self.stdout.write(f"       matched {m.name_kind} {m.matched_name!r}")
            self.stdout.write(f"       {m.explanation}")


def _queries(lines: TextIO) -> Iterator[tuple[int, str | None, str]]:
    """(line number, name, type) per non-blank line; (line number, None, error) when a line
    is not a JSON object with a string "name" and an optional "type"."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON ({exc.msg})"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            yield number, None, 'expected an object with a string "name"'
            continue
        entity_type = record.get("type") or ENTITY
        if entity_type not in TYPES:
            yield number, None, f'"type" must be "entity" or "individual", not {entity_type!r}'
            continue
        yield number, record["name"], entity_type
