"""Audit API: stream an export (case or period), verify the whole chain.

Same permissions as the page: compliance admins export cases and periods and verify the
chain, QC leads export cases; other staff get 403, anyone without a staff role 404.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Role, has_role, is_staff_member
from config.api import ApiView
from config.errors import NotAllowed, NotFound

from .chain import verify_chain
from .export import audit_export, export_filter_parse, export_kinds
from .views import export_response

TAGS = ["audit"]


class _IgnoreFormatParameter(DefaultContentNegotiation):
    """`?format=` names the export's file format here, not DRF's renderer override."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]


class ChainProblemOut(serializers.Serializer):
    seq = serializers.IntegerField(allow_null=True)
    event_id = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    description = serializers.CharField()


class VerifyOut(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField(help_text="Events verified before the first problem.")
    problem = ChainProblemOut(allow_null=True, help_text="The first problem, or null.")
    elapsed_s = serializers.FloatField()


EXPORT_PARAMETERS = [
    OpenApiParameter("case", OpenApiTypes.INT, description="Export this case's events."),
    OpenApiParameter(
        "since",
        OpenApiTypes.STR,
        description="Start of the period, inclusive: a date (00:00 UTC) or an ISO 8601 "
        "date-time. Not with `case`.",
    ),
    OpenApiParameter(
        "until",
        OpenApiTypes.STR,
        description="End of the period, exclusive (`until=2026-04-01` ends with March 31). "
        "Optional: up to the chain head.",
    ),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "jsonl"], default="csv"),
    OpenApiParameter(
        "part",
        OpenApiTypes.STR,
        enum=["events", "verification"],
        default="events",
        description="`verification`: instead of the events, the export's metadata with the "
        "verification of its chain segment as one JSON document (the CSV's sidecar; the "
        "same object the JSON lines file starts with). The export is recorded all the same.",
    ),
]


def _require_staff(request: Request) -> None:
    """The audit trail is a staff area: 404 for anyone without a staff role."""
    if not is_staff_member(request.user):
        raise NotFound("Not found.")


class AuditExportView(ApiView):
    content_negotiation_class = _IgnoreFormatParameter

    @extend_schema(
        operation_id="audit_export",
        parameters=EXPORT_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="CSV: a header row, then one row per event in seq order (no "
                "metadata lines). The verification is in the `X-Audit-Verification` header "
                "and in `part=verification`.",
            ),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR,
                description='JSON lines: `{"record": "export", ...}` then one '
                '`{"record": "event", ...}` per event in seq order.',
            ),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`part=verification`: the export's metadata with the "
                "verification of its chain segment.",
            ),
        },
        tags=TAGS,
        description="Compliance admins (cases and periods) and QC leads (cases): streams the "
        "audit events of one case or one period with the verification of the chain segment "
        "they come from (see docs/api.md): in every response's `X-Audit-Verification` header "
        "(`ok` or `broken`, then `; key=value` pairs), in the JSON lines file's first line "
        "and in `part=verification`. The export is itself recorded as an "
        "`audit.exported` event. 403 for other staff (and a QC lead's period), 404 for "
        "anyone without a staff role and for a case without events.",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        _require_staff(request)
        kinds = export_kinds(request.user)
        query = request.query_params
        if not kinds or ("period" not in kinds and (query.get("since") or query.get("until"))):
            raise NotAllowed("Only compliance admins export periods; QC leads export cases.")
        export_filter, fmt = export_filter_parse(
            case=query.get("case"),
            since=query.get("since"),
            until=query.get("until"),
            fmt=query.get("format"),
        )
        export = audit_export(
            actor=request.user,
            case_id=export_filter.case_id,
            since=export_filter.since,
            until=export_filter.until,
            fmt=fmt,
            part=query.get("part") or "events",
        )
        return export_response(export)


class AuditVerifyView(ApiView):
    @extend_schema(
        operation_id="audit_verify",
        responses=VerifyOut,
        tags=TAGS,
        description="Compliance admins: verifies the whole audit chain (as `manage.py "
        "verify_audit`; may take tens of seconds on millions of events). 403 for other "
        "staff, 404 for anyone without a staff role.",
    )
    def get(self, request: Request) -> Response:
        _require_staff(request)
        if not has_role(request.user, Role.COMPLIANCE_ADMIN):
            raise NotAllowed("Only compliance admins verify the audit chain.")
        started = time.monotonic()
        # One process: a web worker should not fork helpers.
        result = verify_chain(workers=1)
        problem: dict[str, Any] | None = None
        if result.problem is not None:
            problem = {
                "seq": result.problem.seq,
                "event_id": result.problem.event_id,
                "message": result.problem.problem,
                "description": result.problem.describe(),
            }
        body = {
            "ok": result.ok,
            "checked": result.checked,
            "problem": problem,
            "elapsed_s": round(time.monotonic() - started, 3),
        }
        return Response(VerifyOut(body).data)
