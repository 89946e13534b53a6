"""Review cases and their transitions, plus the merchant-level resources that need the cases
layer: the merchant itself (its open case), capabilities (applying puts them on a case),
requirements (an open case adds its RFI deadline and rejection reasons) and the document
download (its audit event names the case it was read in).

Views are thin: input serializer → service (writes) or selector (reads) → output serializer.
The services raise config.errors, which config.api.exception_handler maps to the error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_staff_member
from cases import screening, services
from cases.details import case_acknowledge_changes
from cases.document_review import documents_accept_clean
from cases.models import (
    OPEN_STATES,
    CapabilityDecision,
    DocumentDecision,
    InformationRequest,
    InformationRequestItem,
    ReviewCase,
)
from cases.selectors import (
    case_get,
    case_list,
    comments_visible_to,
    open_case_for,
    reason_code_list,
)
from cases.seller_status import seller_states_matching
from config.api import ApiView, Pagination
from config.errors import InvalidInput, NotFound
from config.idempotency import idempotent
from kyc.http import stored_file_response
from kyc.requirements import RequirementsContext, merchant_requirements
from kyc.selectors import API_DOCUMENT_RELATED, document_get, document_list
from kyc.services import document_record_view
from merchants.api.serializers import (
    CapabilityApplyIn,
    CapabilityApplyOut,
    CapabilityOut,
    MerchantCreateIn,
    MerchantOut,
    MerchantUpdateIn,
)
from merchants.models import Capability, Merchant
from merchants.selectors import capability_list, merchant_get, merchant_list
from merchants.services import merchant_update

from .serializers import (
    CaseDetailOut,
    CaseFilterIn,
    CaseListOut,
    CleanAcceptanceOut,
    CommentIn,
    CommentOut,
    DecisionIn,
    DocumentDecisionIn,
    DocumentDecisionOut,
    EmptyIn,
    MerchantRequirementsOut,
    RationaleIn,
    ReasonCodeFilterIn,
    ReasonCodeOut,
    RequestInfoIn,
    ResubmitIn,
    RiskOverrideIn,
    ScreeningAgreementIn,
    ScreeningDispositionIn,
    ScreeningMatchOut,
    WithdrawIn,
)

TAG_MERCHANTS = ["merchants"]
TAG_CAPABILITIES = ["capabilities and requirements"]
TAG_CASES = ["cases"]
PAGING_PARAMS = ("page", "page_size")


def _filters(request: Request, serializer_class: type[Any]) -> dict[str, Any]:
    params = {k: v for k, v in request.query_params.items() if k not in PAGING_PARAMS}
    serializer = serializer_class(data=params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _context(request: Request) -> dict[str, Any]:
    return {
        "request": request,
        "is_staff": is_staff_member(request.user),
        "user_id": request.user.pk,
    }


# --------------------------------------------------------------------------- merchants


def _open_case_subquery() -> Subquery:
    return Subquery(
        ReviewCase.objects.filter(merchant=OuterRef("pk"), state__in=OPEN_STATES)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )


def _merchant_detail(request: Request, merchant: Merchant) -> Response:
    case = open_case_for(merchant_id=merchant.pk)
    merchant.open_case_id = case.pk if case else None  # type: ignore[attr-defined]
    return Response(MerchantOut(merchant, context=_context(request)).data)


class MerchantListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="merchants_list", responses=MerchantOut(many=True), tags=TAG_MERCHANTS
    )
    def get(self, request: Request) -> Response:
        merchants = merchant_list(actor=request.user).annotate(open_case_id=_open_case_subquery())
        return self.paginate(merchants, MerchantOut, **_context(request))

    @extend_schema(
        operation_id="merchants_create",
        description="Sellers only. Creates the merchant (owned by the caller), requests its "
        "`sell` capability and opens its draft onboarding case (`open_case_id`).",
        request=MerchantCreateIn,
        responses={201: MerchantOut},
        tags=TAG_MERCHANTS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = MerchantCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        merchant, case = services.onboarding_start(
            actor=request.user, data=dict(data.validated_data)
        )
        merchant.open_case_id = case.pk  # type: ignore[attr-defined]
        return Response(
            MerchantOut(merchant, context=_context(request)).data, status=status.HTTP_201_CREATED
        )


class MerchantDetailView(ApiView):
    @extend_schema(operation_id="merchants_retrieve", responses=MerchantOut, tags=TAG_MERCHANTS)
    def get(self, request: Request, merchant_id: int) -> Response:
        return _merchant_detail(request, merchant_get(actor=request.user, merchant_id=merchant_id))

    @extend_schema(
        operation_id="merchants_update",
        request=MerchantUpdateIn,
        responses=MerchantOut,
        tags=TAG_MERCHANTS,
    )
    def patch(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        data = MerchantUpdateIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        merchant = merchant_update(
            actor=request.user, merchant=merchant, data=dict(data.validated_data)
        )
        return _merchant_detail(request, merchant)


# --------------------------------------------------------------------------- capabilities


class CapabilityListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="merchants_capabilities_list",
        responses=CapabilityOut(many=True),
        tags=TAG_CAPABILITIES,
    )
    def get(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        return self.paginate(capability_list(merchant=merchant), CapabilityOut)

    @extend_schema(
        operation_id="merchants_capabilities_apply",
        description="Sellers only. Requests a capability (`sell`, a category by code, a brand "
        "by id) and puts it on the merchant's draft or RFI case, or a new "
        "change-of-details draft. Asking again for a pending one returns it.",
        request=CapabilityApplyIn,
        responses={201: CapabilityApplyOut},
        tags=TAG_CAPABILITIES,
    )
    @idempotent
    def post(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        data = CapabilityApplyIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        capability, case = services.capability_apply(
            actor=request.user,
            merchant=merchant,
            kind=values["kind"],
            category=values.get("category"),
            brand=values.get("brand"),
        )
        capability.case_id = case.pk  # type: ignore[attr-defined]
        return Response(CapabilityApplyOut(capability).data, status=status.HTTP_201_CREATED)


class RequirementsView(ApiView):
    @extend_schema(
        operation_id="merchants_requirements_retrieve",
        description="The requirements object of every capability of the merchant. While a "
        "case is open its RFI deadline and the reviewers' rejection reasons apply.",
        responses=MerchantRequirementsOut,
        tags=TAG_CAPABILITIES,
    )
    def get(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        capabilities = list(capability_list(merchant=merchant))
        case = open_case_for(merchant_id=merchant.pk)
        # One context (policy, people, documents) for both groups: the open case's
        # capabilities, under its RFI deadline, and the others.
        context = RequirementsContext(merchant)
        reasons = services.rejection_reasons_for(merchant)
        in_case = set(case.capabilities.values_list("pk", flat=True)) if case else set()
        by_capability: dict[int, dict[str, Any]] = {}
        for group, deadline in (
            ([c for c in capabilities if c.pk in in_case], case.rfi_deadline if case else None),
            ([c for c in capabilities if c.pk not in in_case], None),
        ):
            if group:
                for req in merchant_requirements(
                    merchant,
                    capabilities=group,
                    rejection_reasons=reasons,
                    rfi_deadline=deadline,
                    context=context,
                ):
                    by_capability[req["capability_id"]] = req
        ordered = [by_capability[c.pk] for c in capabilities if c.pk in by_capability]
        return Response(
            MerchantRequirementsOut(
                {
                    "merchant_id": merchant.pk,
                    "case_id": case.pk if case else None,
                    "capabilities": ordered,
                }
            ).data
        )


# --------------------------------------------------------------------------- documents


class DocumentFileView(ApiView):
    """The stored file, after the same permission check as its metadata; every download is
    an audit event."""

    @extend_schema(
        operation_id="documents_file_download",
        parameters=[
            OpenApiParameter(
                "case",
                OpenApiTypes.INT,
                description="The case the document is read in (recorded "
                "in the audit trail); defaults to the merchant's open case.",
            )
        ],
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, as an attachment, with the content "
                "type sniffed from its bytes at upload.",
            )
            for media_type in settings.KYC_ALLOWED_MIME_TYPES
        },
        tags=["documents"],
    )
    def get(self, request: Request, document_id: int) -> FileResponse:
        doc = document_get(actor=request.user, document_id=document_id)
        case_id = self._case_id(request, doc.merchant_id)
        handle = doc.file.storage.open(str(doc.file.name), "rb")
        try:
            document_record_view(
                actor=request.user, document=doc, case_id=case_id, disposition="downloaded"
            )
        except Exception:
            handle.close()
            raise
        return stored_file_response(
            handle,
            content_type=doc.content_type,
            name=f"document-{doc.pk}",
            download=True,
            display_name=doc.original_filename,  # sanitised at upload
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Clients ask for the file's type (or */*); errors are still rendered as JSON.
        return super().perform_content_negotiation(request, force=True)

    @staticmethod
    def _case_id(request: Request, merchant_id: int) -> int | None:
        raw = request.query_params.get("case")
        if raw:
            case = case_get(actor=request.user, case_id=raw)
            if case.merchant_id != merchant_id:
                raise InvalidInput(
                    "The document does not belong to that case's merchant.",
                    fields={"case": ["Another merchant's case."]},
                )
            return case.pk
        open_case = open_case_for(merchant_id=merchant_id)
        return open_case.pk if open_case else None


# --------------------------------------------------------------------------- cases


def _case_detail(request: Request, case_id: int) -> Response:
    """The case as the reader may see it, with its related lists in a fixed number of
    queries."""
    user = request.user
    case = (
        case_list(actor=user)
        .select_related("maker", "checker", "policy_version", "risk_assessment__overridden_by")
        .prefetch_related(
            Prefetch(
                "capabilities",
                queryset=Capability.objects.select_related("category", "brand").order_by(
                    "kind", "id"
                ),
            ),
            "decision_reason_codes",
            Prefetch(
                "information_requests",
                queryset=InformationRequest.objects.prefetch_related(
                    Prefetch(
                        "items",
                        queryset=InformationRequestItem.objects.select_related("reason_code"),
                    )
                ),
            ),
            Prefetch(
                "document_decisions",
                queryset=DocumentDecision.objects.select_related("reason_code", "decided_by"),
            ),
            Prefetch(
                "capability_decisions",
                queryset=CapabilityDecision.objects.select_related("decided_by").prefetch_related(
                    "reason_codes"
                ),
            ),
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("Case not found.")
    documents = list(
        document_list(
            actor=user, merchant_id=case.merchant_id, related=API_DOCUMENT_RELATED
        ).prefetch_related("check_results")
    )
    case.api_documents = documents  # type: ignore[attr-defined]
    case.api_requirements = services.case_requirements(  # type: ignore[attr-defined]
        case, documents=documents
    )
    case.api_comments = comments_visible_to(actor=user, case=case)  # type: ignore[attr-defined]
    # Evaluated only for staff (under `internal`): sellers never learn of a screening hit.
    case.api_screening_matches = screening.screening_match_list(  # type: ignore[attr-defined]
        merchant_id=case.merchant_id
    )
    return Response(CaseDetailOut(case, context=_context(request)).data)


class CaseListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="cases_list",
        parameters=[CaseFilterIn],
        responses=CaseListOut(many=True),
        tags=TAG_CASES,
    )
    def get(self, request: Request) -> Response:
        filters = _filters(request, CaseFilterIn)
        if not is_staff_member(request.user):
            # The risk tier and the reviewers' queues are internal: a seller filtering on
            # them could learn its own tier.
            filters.pop("risk_tier", None)
            filters.pop("queue", None)
            # A seller filters on the state as they read it (tipping-off): `edd` finds nothing.
            if filters.get("state"):
                filters["states"] = seller_states_matching(filters.pop("state"))
        return self.paginate(
            case_list(actor=request.user, filters=filters), CaseListOut, **_context(request)
        )


class CaseDetailView(ApiView):
    @extend_schema(operation_id="cases_retrieve", responses=CaseDetailOut, tags=TAG_CASES)
    def get(self, request: Request, case_id: int) -> Response:
        return _case_detail(request, case_id)


Transition = Callable[[Any, int, dict[str, Any]], Any]


def _transition_view(
    name: str, serializer: type[Any], call: Transition, description: str
) -> type[ApiView]:
    """One view per transition: its own input serializer and schema, the case as output."""

    @extend_schema(
        operation_id=f"cases_{name}",
        request=serializer,
        responses={200: CaseDetailOut},
        description=description,
        tags=TAG_CASES,
    )
    @idempotent
    def post(self: ApiView, request: Request, case_id: int) -> Response:
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(request.user, case_id, dict(data.validated_data))
        return _case_detail(request, case_id)

    class_name = "".join(part.title() for part in name.split("_")) + "View"
    return type(
        class_name, (ApiView,), {"post": post, "__doc__": description, "__module__": __name__}
    )


TRANSITIONS: dict[str, type[ApiView]] = {
    name: _transition_view(name, serializer, call, description)
    for name, serializer, call, description in [
        (
            "submit",
            EmptyIn,
            lambda actor, case_id, d: services.case_submit(actor=actor, case_id=case_id),
            "Seller: submits the draft. Refused with 400 `requirements_due` (and the due items "
            "in `error.details.requirements`) while anything is currently due.",
        ),
        (
            "claim",
            EmptyIn,
            lambda actor, case_id, d: services.case_claim(actor=actor, case_id=case_id),
            "Reviewer: takes the case (EDD cases: senior reviewers). 409 when already held.",
        ),
        (
            "release",
            EmptyIn,
            lambda actor, case_id, d: services.case_release(actor=actor, case_id=case_id),
            "Reviewer holding the case: puts it back in the queue.",
        ),
        (
            "request_info",
            RequestInfoIn,
            lambda actor, case_id, d: services.case_request_info(
                actor=actor,
                case_id=case_id,
                message=d["message"],
                items=d.get("items") or [],
                deadline=d.get("deadline"),
            ),
            "Reviewer holding the case: one consolidated request for information. Items naming "
            "a document and a reason code reject that document.",
        ),
        (
            "resubmit",
            ResubmitIn,
            lambda actor, case_id, d: services.case_resubmit(
                actor=actor, case_id=case_id, answer=d["answer"]
            ),
            "Seller: answers the request for information once nothing is currently due.",
        ),
        (
            "escalate",
            RationaleIn,
            lambda actor, case_id, d: services.case_escalate(
                actor=actor, case_id=case_id, rationale=d["rationale"]
            ),
            "Reviewer holding the case: sends it to EDD (senior review, four-eyes approval).",
        ),
        (
            "approve",
            DecisionIn,
            lambda actor, case_id, d: services.case_approve(
                actor=actor,
                case_id=case_id,
                reason_codes=d["reason_codes"],
                rationale=d["rationale"],
            ),
            "Reviewer holding the case: approves, or records the maker's approval and waits "
            "for a second senior reviewer where four-eyes applies (a high tier, an escalation, "
            "an inconclusive screening hit). Refused while anything in "
            "`internal.approval_blockers` stands, with the first one's code and every one in "
            "`error.details.blockers`: 409 `screening_hits_open` (a sanctions screening hit "
            "awaits disposition), `changes_unacknowledged` (the data changed since submission "
            "and the holder has not acknowledged it), `screening_stale` (the names on file "
            "were not screened against the active list), `checks_pending` (a document's "
            "checks have not run); 403 `sanctions_match_confirmed`; 400 `requirements_due`, "
            "`edd_checklist_incomplete`. The decision's audit event carries `data_digest`.",
        ),
        (
            "acknowledge_changes",
            EmptyIn,
            lambda actor, case_id, d: case_acknowledge_changes(actor=actor, case_id=case_id),
            "Reviewer holding the case: acknowledges the changes of the merchant's data made "
            "since submission (`internal.changes_since_submission`); approval waits for it. "
            "409 `no_changes` when there is nothing to acknowledge.",
        ),
        (
            "second_approve",
            RationaleIn,
            lambda actor, case_id, d: services.case_second_approve(
                actor=actor, case_id=case_id, rationale=d["rationale"]
            ),
            "Senior reviewer who is not the maker: the checker's approval (four-eyes). "
            "Refused like `approve` while anything in `internal.approval_blockers` stands.",
        ),
        (
            "reject",
            DecisionIn,
            lambda actor, case_id, d: services.case_reject(
                actor=actor,
                case_id=case_id,
                reason_codes=d["reason_codes"],
                rationale=d["rationale"],
            ),
            "Reviewer: rejects with rejection reason codes and a rationale (`final` if any code "
            "is final, else `retry`).",
        ),
        (
            "withdraw",
            WithdrawIn,
            lambda actor, case_id, d: services.case_withdraw(
                actor=actor, case_id=case_id, reason=d["reason"]
            ),
            "Seller: withdraws a draft, submitted or RFI case.",
        ),
        (
            "reopen",
            RationaleIn,
            lambda actor, case_id, d: services.case_reopen(
                actor=actor, case_id=case_id, rationale=d["rationale"]
            ),
            "QC lead or compliance admin: sends a decided case back to review.",
        ),
    ]
}


class CaseCommentView(ApiView):
    @extend_schema(
        operation_id="cases_comments_create",
        request=CommentIn,
        responses={201: CommentOut},
        tags=TAG_CASES,
        description="Sellers write seller-visible comments only; staff may write "
        "internal notes, which sellers never see.",
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        data = CommentIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(
            actor=request.user,
            case_id=case_id,
            body=data.validated_data["body"],
            visibility=data.validated_data["visibility"],
        )
        return Response(
            CommentOut(comment, context=_context(request)).data, status=status.HTTP_201_CREATED
        )


class CaseDocumentDecisionView(ApiView):
    @extend_schema(
        operation_id="cases_documents_decide",
        request=DocumentDecisionIn,
        responses={201: DocumentDecisionOut},
        tags=TAG_CASES,
        description="Reviewer holding the case: accepts or rejects one document "
        "(a rejection needs a reason code).",
    )
    @idempotent
    def post(self, request: Request, case_id: int, document_id: int) -> Response:
        data = DocumentDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.document_decide(
            actor=request.user,
            case_id=case_id,
            document_id=document_id,
            decision=data.validated_data["decision"],
            reason_code=data.validated_data["reason_code"],
            note=data.validated_data["note"],
        )
        return Response(DocumentDecisionOut(decision).data, status=status.HTTP_201_CREATED)


class CaseDocumentsAcceptCleanView(ApiView):
    @extend_schema(
        operation_id="cases_documents_accept_clean",
        request=None,
        responses={200: CleanAcceptanceOut},
        tags=TAG_CASES,
        description="Reviewer holding the case: accepts every current document not yet "
        "decided in this case whose automated checks all ran and passed, and names them; "
        "skips (and names) the ones whose checks warned, failed or are still running. One "
        "`document.accepted` audit event per document. Approval needs every document "
        "decided (409 `documents_undecided`) and a note on an accepted document whose "
        "checks warned or failed (409 `document_note_required`).",
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        result = documents_accept_clean(actor=request.user, case_id=case_id)
        return Response(
            CleanAcceptanceOut(
                {
                    "accepted": result.accepted,
                    "skipped": [{"document": d, "reason": why} for d, why in result.skipped],
                }
            ).data
        )


class CaseScreeningDispositionView(ApiView):
    @extend_schema(
        operation_id="cases_screening_matches_dispose",
        request=ScreeningDispositionIn,
        responses={200: ScreeningMatchOut},
        tags=TAG_CASES,
        description="Reviewer holding the case (a senior reviewer in EDD; the checker while "
        "it awaits second approval): disposes of one screening hit of the case's merchant as "
        "`confirmed`, `false_positive` or `inconclusive`, with a comment (required). Only "
        "`open` hits block approval (409 `screening_hits_open`); `inconclusive` makes the "
        "case need four-eyes; `confirmed` makes the merchant prohibited. On a strong hit "
        "(score at or above `KYC_STRONG_HIT_SCORE`) `false_positive` is recorded as a "
        "proposal (`awaits_agreement`), the hit stays `open` until a second person agrees.",
    )
    @idempotent
    def post(self, request: Request, case_id: int, match_id: int) -> Response:
        data = ScreeningDispositionIn(data=request.data)
        data.is_valid(raise_exception=True)
        match = screening.screening_dispose(
            actor=request.user,
            case_id=case_id,
            match_id=match_id,
            status=data.validated_data["disposition"],
            comment=data.validated_data["comment"],
        )
        match = screening.screening_match_list(merchant_id=match.merchant_id).get(pk=match.pk)
        return Response(ScreeningMatchOut(match).data)


class CaseScreeningAgreementView(ApiView):
    @extend_schema(
        operation_id="cases_screening_matches_agree",
        request=ScreeningAgreementIn,
        responses={200: ScreeningMatchOut},
        tags=TAG_CASES,
        description="Four-eyes on clearing a strong hit (score at or above "
        "`KYC_STRONG_HIT_SCORE`, default 95): its `false_positive` disposition is only a "
        "proposal and the hit stays `open` (blocking approval) until a second reviewer, not "
        "the proposer (403 `four_eyes_same_person`), agrees here; a senior reviewer in EDD or "
        "awaiting second approval. 409 `no_disposition_proposed` when nothing awaits "
        "agreement.",
    )
    @idempotent
    def post(self, request: Request, case_id: int, match_id: int) -> Response:
        data = ScreeningAgreementIn(data=request.data)
        data.is_valid(raise_exception=True)
        match = screening.screening_agree(
            actor=request.user,
            case_id=case_id,
            match_id=match_id,
            comment=data.validated_data["comment"],
        )
        match = screening.screening_match_list(merchant_id=match.merchant_id).get(pk=match.pk)
        return Response(ScreeningMatchOut(match).data)


class CaseRiskOverrideView(ApiView):
    @extend_schema(
        operation_id="cases_risk_override",
        request=RiskOverrideIn,
        responses={200: CaseDetailOut},
        tags=TAG_CASES,
        description="Reviewer holding the case: overrides the risk tier, with a comment "
        "(required). Raising it to `high` or `prohibited` sends the case to EDD with "
        "four-eyes approval; lowering a high or prohibited tier needs a senior reviewer.",
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        data = RiskOverrideIn(data=request.data)
        data.is_valid(raise_exception=True)
        screening.risk_override(
            actor=request.user,
            case_id=case_id,
            tier=data.validated_data["risk_tier"],
            comment=data.validated_data["comment"],
        )
        return _case_detail(request, case_id)


class ReasonCodeListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="reason_codes_list",
        parameters=[ReasonCodeFilterIn],
        responses=ReasonCodeOut(many=True),
        tags=["reference data"],
    )
    def get(self, request: Request) -> Response:
        kind = _filters(request, ReasonCodeFilterIn).get("kind")
        return self.paginate(reason_code_list(kind=kind).order_by("kind", "code"), ReasonCodeOut)
