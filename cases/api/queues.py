"""Queues and assignment in the API: the queues with their counts, one queue's cases, "next
case", reassignment and the caller's availability. Same services and permissions as the
browser's workbench (cases.queues)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_staff_member
from cases import queues
from cases.models import CaseKind, CaseState, Queue
from config.api import ApiView, CachedModelSerializer, InputSerializer, Pagination
from config.errors import NotFound
from config.idempotency import idempotent
from merchants.models import RiskTier

from .serializers import CaseListOut
from .views import _case_detail, _context, _filters

TAG_QUEUES = ["queues and assignment"]


class QueueOut(CachedModelSerializer):
    name = serializers.CharField(read_only=True)
    escalation_queue = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Null when none."
    )
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Queue
        fields = (
            "code",
            "name",
            "case_kinds",
            "risk_tiers",
            "team",
            "requires_senior",
            "sla_hours",
            "escalation_queue",
            "counts",
        )
        read_only_fields = fields

    def get_counts(self, queue: Queue) -> dict[str, int]:
        return self.context["counts"].get(queue.pk, {"open": 0, "unassigned": 0, "breached": 0})


class QueueCaseOut(CaseListOut):
    queue = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sla_breached_at = serializers.SerializerMethodField()
    escalated_at = serializers.SerializerMethodField()

    class Meta(CaseListOut.Meta):
        fields = (*CaseListOut.Meta.fields, "queue", "sla_breached_at", "escalated_at")
        read_only_fields = fields

    def get_sla_breached_at(self, case: Any) -> str | None:
        return case.sla_breached_at.isoformat() if case.sla_breached_at else None

    def get_escalated_at(self, case: Any) -> str | None:
        return case.escalated_at.isoformat() if case.escalated_at else None


class QueueCaseFilterIn(InputSerializer):
    view = serializers.ChoiceField(
        choices=["open", "mine", "unassigned", "breached", "all"], required=False
    )
    state = serializers.ChoiceField(choices=CaseState.choices, required=False)
    kind = serializers.ChoiceField(choices=CaseKind.choices, required=False)
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices, required=False)
    reviewer = serializers.IntegerField(required=False, help_text="The assignee's user id.")
    q = serializers.CharField(
        required=False, max_length=100, help_text="Merchant name, registration number or case id."
    )


class ReassignIn(InputSerializer):
    assignee = serializers.IntegerField(help_text="The user id of the reviewer to hand it to.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class AvailabilityIn(InputSerializer):
    is_available = serializers.BooleanField()


class AvailabilityOut(serializers.Serializer):
    is_available = serializers.BooleanField()


def _require_staff(request: Request) -> None:
    # Queues are internal: to anyone else they do not exist.
    if not is_staff_member(request.user):
        raise NotFound("Not found.")


class QueueListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="queues_list",
        responses=QueueOut(many=True),
        tags=TAG_QUEUES,
        description="Staff only. Every active queue with its open, unassigned and breached counts.",
    )
    def get(self, request: Request) -> Response:
        _require_staff(request)
        rows = queues.queue_counts(actor=request.user)
        counts = {
            r.queue.pk: {"open": r.open, "unassigned": r.unassigned, "breached": r.breached}
            for r in rows
        }
        # The same envelope as every list ({count, next, previous, results}); a handful of
        # queues, counted in one query, so paging the list in memory costs nothing.
        return self.paginate([r.queue for r in rows], QueueOut, counts=counts)


class QueueCaseListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="queues_cases_list",
        parameters=[QueueCaseFilterIn],
        responses=QueueCaseOut(many=True),
        tags=TAG_QUEUES,
        description="Staff only. The queue's cases, soonest SLA due first.",
    )
    def get(self, request: Request, code: str) -> Response:
        _require_staff(request)
        queue = queues.queue_get(actor=request.user, code=code)
        filters = _filters(request, QueueCaseFilterIn)
        cases = queues.queue_case_list(actor=request.user, queue=queue, filters=filters)
        return self.paginate(cases, QueueCaseOut, **_context(request))


class CaseNextView(ApiView):
    @extend_schema(
        operation_id="cases_next",
        request=None,
        responses={200: OpenApiResponse(description="The claimed case."), 204: None},
        tags=TAG_QUEUES,
        description="Reviewers. Returns the most urgent case the caller already holds (soonest "
        "SLA due); when they hold none, claims the highest-priority unassigned case they may "
        "take and returns it; 204 when none waits; 409 at the caller's cap.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require_staff(request)
        found = queues.case_next(actor=request.user)
        if found is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _case_detail(request, found.case.pk)


class CaseReassignView(ApiView):
    @extend_schema(
        operation_id="cases_reassign",
        request=ReassignIn,
        responses={200: OpenApiResponse(description="The case.")},
        tags=TAG_QUEUES,
        description="Senior reviewers. Hands the case to another eligible reviewer.",
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        data = ReassignIn(data=request.data)
        data.is_valid(raise_exception=True)
        queues.case_reassign(
            actor=request.user,
            case_id=case_id,
            assignee_id=data.validated_data["assignee"],
            reason=data.validated_data.get("reason", ""),
        )
        return _case_detail(request, case_id)


class AvailabilityView(ApiView):
    @extend_schema(
        operation_id="me_availability",
        request=AvailabilityIn,
        responses=AvailabilityOut,
        tags=TAG_QUEUES,
        description="Reviewers. Turns the caller's availability for assignment on or off.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require_staff(request)
        data = AvailabilityIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = queues.reviewer_set_availability(
            actor=request.user, is_available=data.validated_data["is_available"]
        )
        return Response({"is_available": user.is_available})
