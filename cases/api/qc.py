"""QC API: the QC queue and reviews, findings' disputes, draws and the dashboard's numbers.

The same services and selectors, hence the same permissions, as the QC pages: QC leads and
compliance admins see everything; a reviewer sees only the completed QC reviews of their
own decisions; sellers get 404 everywhere.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_staff_member
from cases.models import (
    QcDispute,
    QcDisputeStatus,
    QcDraw,
    QcErrorCategory,
    QcOutcome,
    QcReview,
    QcReviewStatus,
    QcSeverity,
)
from cases.qc import metrics, sampling, selectors, services
from config.api import ApiView, InputSerializer, Pagination
from config.errors import NotAllowed, NotFound
from config.idempotency import idempotent

TAG_QC = ["qc"]


def _staff_only(request: Request) -> None:
    """Sellers (and anyone without a staff role) learn nothing about QC: 404."""
    if not is_staff_member(request.user):
        raise NotFound("No such API endpoint.")


def _qc_only(request: Request) -> None:
    _staff_only(request)
    if not selectors.can_see_all_qc(request.user):
        raise NotAllowed("Only QC leads and compliance admins see QC data.")


# --------------------------------------------------------------------------- serializers


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class QcDisputeOut(serializers.Serializer):
    id = serializers.IntegerField()
    review = serializers.IntegerField(source="review_id")
    raised_by = serializers.SerializerMethodField()
    reason = serializers.CharField()
    raised_at = serializers.DateTimeField()
    status = serializers.CharField(help_text="`open`, `upheld` (finding withdrawn), `dismissed`.")
    decided_by = serializers.SerializerMethodField()
    decision_comment = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    finding_withdrawn = serializers.SerializerMethodField()

    def get_raised_by(self, obj: QcDispute) -> str | None:
        return _username(obj.raised_by)

    def get_decided_by(self, obj: QcDispute) -> str | None:
        return _username(obj.decided_by)

    def get_finding_withdrawn(self, obj: QcDispute) -> bool:
        return obj.status == QcDisputeStatus.UPHELD


class QcReviewOut(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    merchant = serializers.CharField(source="case.merchant.legal_name")
    case_decision = serializers.CharField(help_text="`approved` or `rejected`.")
    case_decided_at = serializers.DateTimeField()
    risk_tier = serializers.CharField()
    maker = serializers.SerializerMethodField()
    checker = serializers.SerializerMethodField()
    draw = serializers.IntegerField(source="draw_id", allow_null=True)
    sampled_by_rule = serializers.CharField(help_text="`rate:<rule>` or `minimum:<rule>`.")
    status = serializers.CharField(help_text="`pending` or `completed`.")
    qc_reviewer = serializers.SerializerMethodField()
    outcome = serializers.CharField(help_text="`agree`, `disagree`, or empty while pending.")
    error_category = serializers.CharField()
    severity = serializers.CharField(help_text="`critical`, `major`, `minor` or empty.")
    comment = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    case_reopened = serializers.BooleanField()
    dispute = QcDisputeOut(allow_null=True, read_only=True)

    def get_maker(self, obj: QcReview) -> str | None:
        return _username(obj.maker)

    def get_checker(self, obj: QcReview) -> str | None:
        return _username(obj.checker)

    def get_qc_reviewer(self, obj: QcReview) -> str | None:
        return _username(obj.qc_reviewer)


class QcReviewFilterIn(InputSerializer):
    status = serializers.ChoiceField(choices=QcReviewStatus.choices, required=False)


class QcReviewCompleteIn(InputSerializer):
    outcome = serializers.ChoiceField(choices=QcOutcome.choices)
    error_category = serializers.ChoiceField(
        choices=QcErrorCategory.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for `disagree`.",
    )
    severity = serializers.ChoiceField(
        choices=QcSeverity.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for `disagree`; `critical` reopens the case.",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required for `disagree`."
    )


class QcDisputeIn(InputSerializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why the finding is wrong.")


class QcDisputeDecideIn(InputSerializer):
    status = serializers.ChoiceField(
        choices=[QcDisputeStatus.UPHELD.value, QcDisputeStatus.DISMISSED.value],
        help_text="`upheld` withdraws the finding; `dismissed` lets it stand.",
    )
    comment = serializers.CharField(allow_blank=True)


class QcDrawIn(InputSerializer):
    seed = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=f"A whole number 0..{sampling.SEED_MAX} (as a string or a number); random "
        "when empty. The same seed and window give the same sample.",
    )
    since = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Window start: YYYY-MM-DD (00:00 UTC) or an ISO date-time.",
    )
    until = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Window end: YYYY-MM-DD (that whole day included) or an ISO date-time "
        "(excluded). Default window: the last 7 days (UTC), today included.",
    )


class QcDrawOut(serializers.Serializer):
    id = serializers.IntegerField()
    seed = serializers.SerializerMethodField(
        help_text="A string: 63-bit seeds do not fit a JavaScript number."
    )
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    trigger = serializers.CharField(help_text="`scheduled` or `on_demand`.")
    drawn_by = serializers.SerializerMethodField()
    drawn_at = serializers.DateTimeField()
    rules = serializers.ListField(child=serializers.DictField())
    population_size = serializers.IntegerField()
    sampled_case_ids = serializers.ListField(child=serializers.IntegerField())
    new_review_count = serializers.IntegerField()

    def get_seed(self, obj: QcDraw) -> str:
        return str(obj.seed)

    def get_drawn_by(self, obj: QcDraw) -> str | None:
        return _username(obj.drawn_by)


class QcProofOut(serializers.Serializer):
    reviewed = serializers.IntegerField()
    errors = serializers.IntegerField()
    confidence_pct = serializers.FloatField()
    tolerable_pct = serializers.FloatField()
    upper_bound_pct = serializers.FloatField(
        allow_null=True,
        help_text="With `errors` in `reviewed`, the error rate is below this at the "
        "confidence (one-sided Clopper-Pearson; 1-(1-c)^(1/n) with no error).",
    )
    proves_tolerable = serializers.BooleanField()
    needed = serializers.IntegerField(help_text="Reviews needed (all further ones clean).")
    more_needed = serializers.IntegerField()


class QcReviewerMetricsOut(serializers.Serializer):
    reviewer_id = serializers.IntegerField(allow_null=True)
    reviewer = serializers.CharField()
    reviewed = serializers.IntegerField()
    findings = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    errors = serializers.IntegerField()
    critical = serializers.IntegerField()
    reopened = serializers.IntegerField()
    accuracy_pct = serializers.FloatField(allow_null=True)
    proof = QcProofOut()


class QcWeekMetricsOut(serializers.Serializer):
    week = serializers.DateTimeField(help_text="Monday 00:00 UTC of the decisions' ISO week.")
    reviewer_id = serializers.IntegerField(allow_null=True)
    reviewer = serializers.CharField()
    reviewed = serializers.IntegerField()
    agree = serializers.IntegerField()
    findings = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    errors = serializers.IntegerField()
    accuracy_pct = serializers.FloatField(allow_null=True)
    critical = serializers.IntegerField()
    reopened = serializers.IntegerField()


class QcOverallOut(serializers.Serializer):
    reviewed = serializers.IntegerField()
    findings = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    errors = serializers.IntegerField()
    critical = serializers.IntegerField()
    reopened = serializers.IntegerField()
    accuracy_pct = serializers.FloatField(allow_null=True)
    proof = QcProofOut()


class QcCategoryWeekOut(serializers.Serializer):
    week = serializers.DateTimeField()
    counts = serializers.DictField(child=serializers.IntegerField())


class QcDisputeCountsOut(serializers.Serializer):
    open = serializers.IntegerField()
    upheld = serializers.IntegerField()
    dismissed = serializers.IntegerField()


class QcReopenOut(serializers.Serializer):
    completed = serializers.IntegerField()
    reopened = serializers.IntegerField()
    rate_pct = serializers.FloatField(allow_null=True)


class QcMetricsOut(serializers.Serializer):
    weeks = serializers.ListField(child=serializers.DateTimeField())
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    confidence_pct = serializers.FloatField()
    tolerable_pct = serializers.FloatField()
    clean_sample_size = serializers.IntegerField(
        help_text="ceil(ln(1-confidence)/ln(1-tolerable error rate)): 59 for 95% and 5%."
    )
    pending = serializers.IntegerField()
    per_week = QcWeekMetricsOut(many=True)
    reviewers = QcReviewerMetricsOut(many=True)
    overall = QcOverallOut()
    categories_per_week = QcCategoryWeekOut(many=True)
    category_totals = serializers.DictField(child=serializers.IntegerField())
    disputes = QcDisputeCountsOut()
    reopen = QcReopenOut()


# --------------------------------------------------------------------------- views


def _review_out(request: Request, review_id: int) -> dict[str, Any]:
    return dict(QcReviewOut(selectors.qc_review_get(actor=request.user, review_id=review_id)).data)


class QcReviewListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="qc_reviews_list",
        parameters=[QcReviewFilterIn],
        responses=QcReviewOut(many=True),
        tags=TAG_QC,
        description="QC leads and compliance admins: every QC review (the QC queue is "
        "`status=pending`). A reviewer: the completed QC reviews of their own decisions.",
    )
    def get(self, request: Request) -> Response:
        _staff_only(request)
        params = {k: v for k, v in request.query_params.items() if k not in ("page", "page_size")}
        filters = QcReviewFilterIn(data=params)
        filters.is_valid(raise_exception=True)
        qs = selectors.qc_review_list(
            actor=request.user, status=filters.validated_data.get("status", "")
        )
        return self.paginate(qs, QcReviewOut)


class QcReviewDetailView(ApiView):
    @extend_schema(operation_id="qc_reviews_retrieve", responses=QcReviewOut, tags=TAG_QC)
    def get(self, request: Request, review_id: int) -> Response:
        _staff_only(request)
        return Response(_review_out(request, review_id))


class QcReviewCompleteView(ApiView):
    @extend_schema(
        operation_id="qc_reviews_complete",
        request=QcReviewCompleteIn,
        responses={200: QcReviewOut},
        tags=TAG_QC,
        description="A QC lead who neither made nor checked the decision (403 "
        "`maker_checker`) records the verdict on a pending QC review (409 once completed). "
        "`disagree` needs `error_category`, `severity` and `comment` (400 with fields). A "
        "`critical` finding reopens the case.",
    )
    @idempotent
    def post(self, request: Request, review_id: int) -> Response:
        _staff_only(request)
        data = QcReviewCompleteIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.qc_review_complete(actor=request.user, review_id=review_id, **data.validated_data)
        return Response(_review_out(request, review_id))


class QcReviewDisputeView(ApiView):
    @extend_schema(
        operation_id="qc_reviews_dispute",
        request=QcDisputeIn,
        responses={201: QcDisputeOut},
        tags=TAG_QC,
        description="The decision's maker disputes a finding, once (409 "
        "`already_disputed` the second time; 409 `not_a_finding` for an agreement).",
    )
    @idempotent
    def post(self, request: Request, review_id: int) -> Response:
        _staff_only(request)
        data = QcDisputeIn(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.qc_dispute_raise(
            actor=request.user, review_id=review_id, reason=data.validated_data["reason"]
        )
        return Response(QcDisputeOut(dispute).data, status=status.HTTP_201_CREATED)


class QcDisputeDecideView(ApiView):
    @extend_schema(
        operation_id="qc_disputes_decide",
        request=QcDisputeDecideIn,
        responses={200: QcDisputeOut},
        tags=TAG_QC,
        description="A QC lead other than the one who made the finding (403 `own_finding`) "
        "upholds (withdraws the finding) or dismisses an open dispute (409 once decided). A "
        "compliance admin decides only when no other QC lead can (403 `qc_lead_available`); "
        "never the decision's maker or checker (403 `maker_checker`).",
    )
    @idempotent
    def post(self, request: Request, dispute_id: int) -> Response:
        # As the page: deciding disputes is the QC roles' feature, 403 for other staff
        # before any dispute is looked up.
        _qc_only(request)
        data = QcDisputeDecideIn(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.qc_dispute_decide(
            actor=request.user, dispute_id=dispute_id, **data.validated_data
        )
        return Response(QcDisputeOut(dispute).data)


class QcDrawListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="qc_draws_list",
        responses=QcDrawOut(many=True),
        tags=TAG_QC,
        description="QC leads and compliance admins: the draws, newest first, with seeds.",
    )
    def get(self, request: Request) -> Response:
        _qc_only(request)
        return self.paginate(selectors.qc_draw_list(actor=request.user), QcDrawOut)

    @extend_schema(
        operation_id="qc_draws_create",
        request=QcDrawIn,
        responses={201: QcDrawOut},
        tags=TAG_QC,
        description="QC leads and compliance admins: an on-demand draw. Repeating it with "
        "the same seed and window gives the same `sampled_case_ids` and queues nothing new.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _qc_only(request)
        data = QcDrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        start, end = sampling.window_from(values["since"], values["until"])
        seed = sampling.parse_seed(values["seed"]) if str(values["seed"]).strip() else None
        draw = sampling.qc_draw(actor=request.user, seed=seed, window_start=start, window_end=end)
        return Response(QcDrawOut(draw).data, status=status.HTTP_201_CREATED)


class QcMetricsView(ApiView):
    @extend_schema(
        operation_id="qc_metrics_retrieve",
        responses=QcMetricsOut,
        tags=TAG_QC,
        description="QC leads and compliance admins: the dashboard's numbers over the last "
        "12 ISO weeks (by week of decision): accuracy per reviewer and week, errors per "
        "category, what each sample proves, disputes and the reopen rate.",
    )
    def get(self, request: Request) -> Response:
        _qc_only(request)
        return Response(QcMetricsOut(metrics.qc_metrics()).data)
