from django.urls import path

from .views import edd, queue, review, seller

app_name = "cases"

urlpatterns = [
    # Seller portal (the rest is in merchants/urls.py, mounted at /seller/).
    path("seller/merchants/new/", seller.merchant_create, name="merchant_create"),
    path("seller/merchants/<int:merchant_id>/", seller.merchant_detail, name="merchant_detail"),
    path(
        "seller/merchants/<int:merchant_id>/apply/",
        seller.capability_apply,
        name="capability_apply",
    ),
    path(
        "seller/merchants/<int:merchant_id>/documents/upload/",
        seller.document_upload,
        name="document_upload",
    ),
    path(
        "seller/merchants/<int:merchant_id>/brands/<int:brand_id>/authorization-chain/",
        seller.brand_chain,
        name="brand_chain",
    ),
    path("seller/cases/<int:case_id>/", seller.case_detail, name="seller_case"),
    path("seller/cases/<int:case_id>/submit/", seller.case_submit, name="seller_submit"),
    path("seller/cases/<int:case_id>/resubmit/", seller.case_resubmit, name="seller_resubmit"),
    path("seller/cases/<int:case_id>/withdraw/", seller.case_withdraw, name="seller_withdraw"),
    path("seller/cases/<int:case_id>/comment/", seller.case_comment, name="seller_comment"),
    # Reviewer workbench.
    path("review/", queue.queue, name="queue"),
    path("review/next/", queue.next_case, name="next_case"),
    path("review/availability/", queue.availability, name="availability"),
    path("review/cases/<int:case_id>/reassign/", queue.case_reassign, name="case_reassign"),
    path("review/cases/<int:case_id>/", review.case_detail, name="case_detail"),
    *[
        path(
            f"review/cases/<int:case_id>/{action}/",
            review.case_action,
            {"action": action},
            name=f"case_{action.replace('-', '_')}",
        )
        for action in review.ACTIONS
    ],
    path("review/cases/<int:case_id>/edd/<str:item>/", edd.item_update, name="edd_item_update"),
    path(
        "review/cases/<int:case_id>/edd/<str:item>/evidence/",
        edd.evidence_add,
        name="edd_evidence_add",
    ),
    path("review/edd-evidence/<int:evidence_id>/", edd.evidence_file, name="edd_evidence_file"),
]
