"""API for per-capability decisions: POST /api/v1/cases/{id}/capabilities/{capability_id}/decision/.

Same service, hence the same permissions, as the case page."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.decisions import capability_decide
from cases.models import CapabilityDecision
from config.api import ApiView, InputSerializer
from config.idempotency import idempotent

from .serializers import CapabilityDecisionInternalOut


class CapabilityDecisionIn(InputSerializer):
    decision = serializers.ChoiceField(choices=CapabilityDecision.Decision.choices)
    reason_codes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Rejection reason codes (at least one for a rejection); any final code "
        "makes the rejection final.",
    )
    rationale = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for a rejection."
    )


class CaseCapabilityDecisionView(ApiView):
    @extend_schema(
        operation_id="cases_capabilities_decide",
        request=CapabilityDecisionIn,
        responses={201: CapabilityDecisionInternalOut},
        tags=["cases"],
        description="Reviewer holding the case: approves or rejects one capability of the "
        "case (a rejection needs reason codes and a rationale). It takes effect when the case "
        "is approved, and can be changed until then.",
    )
    @idempotent
    def post(self, request: Request, case_id: int, capability_id: int) -> Response:
        data = CapabilityDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        decision = capability_decide(
            actor=request.user,
            case_id=case_id,
            capability_id=capability_id,
            decision=data.validated_data["decision"],
            reason_codes=data.validated_data["reason_codes"],
            rationale=data.validated_data["rationale"],
        )
        return Response(
            CapabilityDecisionInternalOut(decision).data, status=status.HTTP_201_CREATED
        )
