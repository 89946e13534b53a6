"""Qualification documents (upload, list, metadata) and the kyc reference data.

The download (`/documents/{id}/file/`) lives in cases.api: its audit event names the case
the document was read in, which only the cases layer knows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_staff_member
from config.api import ApiView, Pagination
from config.errors import InvalidInput, NotFound, TooLarge
from config.idempotency import idempotent
from kyc.brand_chains import brand_chain_list, brand_chain_set
from kyc.selectors import (
    API_DOCUMENT_RELATED,
    category_list,
    document_get,
    document_list,
    document_type_list,
)
from kyc.services import document_upload
from merchants.api.serializers import CategoryOut
from merchants.models import Brand, Merchant
from merchants.selectors import merchant_get

from .serializers import (
    BrandChainIn,
    BrandChainOut,
    DocumentOut,
    DocumentTypeOut,
    DocumentUploadIn,
)

TAG_DOCUMENTS = ["documents"]
TAG_REFERENCE = ["reference data"]
# Multipart framing and the metadata fields around the file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


class UploadLimitMixin:
    """Refuses an oversized POST body from its Content-Length, before it is read and spooled
    to disk; the upload service checks the file's real size again."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method != "POST":
            return
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.KYC_MAX_UPLOAD_BYTES
        if length > limit + UPLOAD_OVERHEAD_BYTES:
            shown = filesizeformat(limit)
            raise TooLarge(
                f"The upload is larger than the {shown} limit.",
                fields={"file": [f"Files may be at most {shown}."]},
            )


class MerchantDocumentListView(UploadLimitMixin, ApiView):
    pagination_class = Pagination
    parser_classes = [MultiPartParser]
    extra_error_statuses = (413, 415, 503)

    @extend_schema(
        operation_id="merchants_documents_list",
        responses=DocumentOut(many=True),
        tags=TAG_DOCUMENTS,
    )
    def get(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        docs = document_list(
            actor=request.user, merchant_id=merchant.pk, related=API_DOCUMENT_RELATED
        ).prefetch_related("check_results")
        return self.paginate(docs, DocumentOut, is_staff=is_staff_member(request.user))

    @extend_schema(
        operation_id="merchants_documents_upload",
        request={"multipart/form-data": DocumentUploadIn},
        responses={201: DocumentOut},
        tags=TAG_DOCUMENTS,
    )
    @idempotent
    def post(self, request: Request, merchant_id: int) -> Response:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        data = DocumentUploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        uploaded = values.pop("file")
        document_type = values.pop("document_type")
        supersedes_id = values.pop("supersedes", None)
        supersedes = None
        if supersedes_id is not None:
            supersedes = (
                document_list(actor=request.user, merchant_id=merchant.pk)
                .filter(pk=supersedes_id)
                .first()
            )
            if supersedes is None:
                raise InvalidInput(
                    "The document to replace is not on file for this merchant.",
                    fields={"supersedes": ["Not found for this merchant."]},
                )
        doc = document_upload(
            actor=request.user,
            merchant=merchant,
            document_type=document_type,
            fileobj=uploaded,
            filename=uploaded.name or "",
            size=uploaded.size,
            metadata=values,
            supersedes=supersedes,
        )
        doc = document_get(actor=request.user, document_id=doc.pk, related=API_DOCUMENT_RELATED)
        return Response(
            DocumentOut(
                doc, context={"request": request, "is_staff": is_staff_member(request.user)}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class DocumentDetailView(ApiView):
    @extend_schema(operation_id="documents_retrieve", responses=DocumentOut, tags=TAG_DOCUMENTS)
    def get(self, request: Request, document_id: int) -> Response:
        doc = document_get(
            actor=request.user, document_id=document_id, related=API_DOCUMENT_RELATED
        )
        return Response(
            DocumentOut(
                doc, context={"request": request, "is_staff": is_staff_member(request.user)}
            ).data
        )


class DocumentTypeListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="document_types_list", responses=DocumentTypeOut(many=True), tags=TAG_REFERENCE
    )
    def get(self, request: Request) -> Response:
        return self.paginate(document_type_list().order_by("family", "code"), DocumentTypeOut)


class CategoryListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="categories_list", responses=CategoryOut(many=True), tags=TAG_REFERENCE
    )
    def get(self, request: Request) -> Response:
        return self.paginate(category_list().order_by("code"), CategoryOut)


def _chain_body(merchant: Merchant, brand: Brand) -> dict[str, Any]:
    links = brand_chain_list(merchant=merchant, brand=brand)
    return {
        "merchant_id": merchant.pk,
        "brand_id": brand.pk,
        "brand": brand.name,
        "trademark_holder": brand.trademark_holder,
        "links": [
            {
                "position": link.position,
                "grantor_name": link.grantor_name,
                "grantee_name": link.grantee_name,
                "territories": list(link.territories or []),
                "valid_from": link.valid_from,
                "valid_until": link.valid_until,
            }
            for link in links
        ],
    }


class BrandChainView(ApiView):
    """The brand authorization chain of one merchant for one brand (owner → … → seller)."""

    def _objects(self, request: Request, merchant_id: int, brand_id: int) -> tuple[Any, Brand]:
        merchant = merchant_get(actor=request.user, merchant_id=merchant_id)
        brand = Brand.objects.filter(pk=brand_id).first()
        if brand is None:
            raise NotFound("Brand not found.")
        return merchant, brand

    @extend_schema(
        operation_id="merchants_brand_chain_retrieve", responses=BrandChainOut, tags=TAG_DOCUMENTS
    )
    def get(self, request: Request, merchant_id: int, brand_id: int) -> Response:
        merchant, brand = self._objects(request, merchant_id, brand_id)
        return Response(BrandChainOut(_chain_body(merchant, brand)).data)

    @extend_schema(
        operation_id="merchants_brand_chain_update",
        request=BrandChainIn,
        responses=BrandChainOut,
        tags=TAG_DOCUMENTS,
        description="Replaces the chain. Validated as a whole: link 1 is granted by the brand's "
        "trademark holder, each link by the previous grantee, the last to this merchant; every "
        "link in force, within the previous link's validity and territory, and covering the "
        "merchant's country. The brand documents are checked again afterwards.",
    )
    def put(self, request: Request, merchant_id: int, brand_id: int) -> Response:
        merchant, brand = self._objects(request, merchant_id, brand_id)
        data = BrandChainIn(data=request.data)
        data.is_valid(raise_exception=True)
        brand_chain_set(
            actor=request.user,
            merchant=merchant,
            brand=brand,
            rows=[dict(row) for row in data.validated_data["links"]],
        )
        return Response(BrandChainOut(_chain_body(merchant, brand)).data)
