"""The EDD checklist of a case: read it, work an item, attach evidence, read evidence.

Staff only (the checklist is internal to the review team); writes by the senior reviewer
holding the case in EDD, through cases.edd.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_staff_member
from cases import edd
from cases.models import EddChecklistItem, EddEvidence
from cases.selectors import case_get
from config.api import ApiView, InputSerializer
from config.errors import NotFound
from config.idempotency import idempotent
from kyc.api.views import UploadLimitMixin
from kyc.http import stored_file_response

TAG_EDD = ["cases"]


class EddItemIn(InputSerializer):
    status = serializers.ChoiceField(choices=EddChecklistItem.Status.choices)
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for satisfied, concern and not_applicable.",
    )


class EddEvidenceIn(InputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service refuses it with code `file_empty`
        help_text="PDF, JPEG or PNG; the type is sniffed from the bytes, not the name.",
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=edd.DESCRIPTION_MAX
    )


class EddEvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField(source="item.item")
    filename = serializers.CharField(source="original_filename")
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    description = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.get_username")
    created_at = serializers.DateTimeField()
    file_url = serializers.SerializerMethodField()

    def get_file_url(self, obj: EddEvidence) -> str:
        return reverse("api:case-edd-evidence-file", kwargs={"evidence_id": obj.pk})


class EddItemOut(serializers.Serializer):
    item = serializers.CharField()
    label = serializers.CharField(source="get_item_display")
    status = serializers.CharField()
    notes = serializers.CharField()
    completed_by = serializers.SerializerMethodField()
    completed_at = serializers.DateTimeField(allow_null=True)
    evidence = EddEvidenceOut(many=True, source="evidence.all")

    def get_completed_by(self, obj: EddChecklistItem) -> str | None:
        return obj.completed_by.get_username() if obj.completed_by else None


class EddChecklistOut(serializers.Serializer):
    case = serializers.IntegerField()
    state = serializers.CharField()
    complete = serializers.BooleanField(help_text="No item is open (approval is possible).")
    open_items = serializers.ListField(child=serializers.CharField())
    can_edit = serializers.BooleanField(
        help_text="The reader is the senior reviewer holding the case in EDD."
    )
    items = EddItemOut(many=True)


def _staff_case(request: Request, case_id: int) -> Any:
    case = case_get(actor=request.user, case_id=case_id)
    if not is_staff_member(request.user):
        # Internal to the review team: to anyone else it does not exist (as for the writes).
        raise NotFound("Not found.")
    return case


def _item_out(case_id: int, item: str) -> dict[str, Any]:
    row = edd.edd_checklist(case_id=case_id).get(item=item)
    return dict(EddItemOut(row).data)


class EddChecklistView(ApiView):
    @extend_schema(
        operation_id="cases_edd_retrieve",
        responses=EddChecklistOut,
        tags=TAG_EDD,
        description="Staff: the case's EDD checklist (empty until the case enters EDD), with "
        "each item's status, notes and evidence.",
    )
    def get(self, request: Request, case_id: int) -> Response:
        case = _staff_case(request, case_id)
        items = list(edd.edd_checklist(case_id=case.pk))
        open_items = [i.item for i in items if i.status == EddChecklistItem.Status.OPEN]
        body = {
            "case": case.pk,
            "state": case.state,
            "complete": bool(items) and not open_items,
            "open_items": open_items,
            "can_edit": bool(items) and edd.edd_can_edit(actor=request.user, case=case),
            "items": items,
        }
        return Response(EddChecklistOut(body).data)


class EddItemView(ApiView):
    @extend_schema(
        operation_id="cases_edd_item_update",
        request=EddItemIn,
        responses={200: EddItemOut},
        tags=TAG_EDD,
        description="Senior reviewer holding the case in EDD: sets one item's status "
        "(`open`, `satisfied`, `concern`, `not_applicable`) and notes (required unless "
        "open). 403 for anyone else, 409 outside EDD, 404 for an unknown item.",
    )
    @idempotent
    def post(self, request: Request, case_id: int, item: str) -> Response:
        data = EddItemIn(data=request.data)
        data.is_valid(raise_exception=True)
        edd.edd_item_update(
            actor=request.user,
            case_id=case_id,
            item=item,
            status=data.validated_data["status"],
            notes=data.validated_data["notes"],
        )
        return Response(_item_out(case_id, item))


class EddEvidenceView(UploadLimitMixin, ApiView):
    parser_classes = [MultiPartParser]
    extra_error_statuses = (413, 415, 503)

    @extend_schema(
        operation_id="cases_edd_evidence_add",
        request={"multipart/form-data": EddEvidenceIn},
        responses={201: EddEvidenceOut},
        tags=TAG_EDD,
        description="Senior reviewer holding the case in EDD: attaches an evidence file to "
        "one item. The same upload rules as documents: 400 `file_empty`, 413 "
        "`file_too_large`, 415 `unsupported_file_type`, 503 `storage_unavailable` when the "
        "object store is down (try again later); nothing is stored on a refusal.",
    )
    @idempotent
    def post(self, request: Request, case_id: int, item: str) -> Response:
        data = EddEvidenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        uploaded = data.validated_data["file"]
        evidence = edd.edd_evidence_add(
            actor=request.user,
            case_id=case_id,
            item=item,
            fileobj=uploaded,
            filename=uploaded.name or "",
            size=uploaded.size,
            description=data.validated_data["description"],
        )
        evidence = EddEvidence.objects.select_related("item", "uploaded_by").get(pk=evidence.pk)
        return Response(EddEvidenceOut(evidence).data, status=status.HTTP_201_CREATED)


class EddEvidenceFileView(ApiView):
    @extend_schema(
        operation_id="cases_edd_evidence_file",
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY)
            for media_type in settings.KYC_ALLOWED_MIME_TYPES
        },
        tags=TAG_EDD,
        description="Staff: the evidence file, as an attachment (an audited download).",
    )
    def get(self, request: Request, evidence_id: int) -> FileResponse:
        evidence = edd.edd_evidence_get(actor=request.user, evidence_id=evidence_id)
        try:
            handle = evidence.file.storage.open(str(evidence.file.name), "rb")
        except FileNotFoundError:
            raise NotFound("Evidence file not found.") from None
        try:
            edd.edd_evidence_record_view(
                actor=request.user, evidence=evidence, disposition="downloaded"
            )
        except Exception:
            handle.close()
            raise
        return stored_file_response(
            handle,
            content_type=evidence.content_type,
            name=f"edd-evidence-{evidence.pk}",
            download=True,
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Clients ask for the file's type (or */*); errors are still rendered as JSON.
        return super().perform_content_negotiation(request, force=True)
