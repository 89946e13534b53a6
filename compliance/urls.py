from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.overview, name="overview"),
    # requirement rules: the published version, its draft and the diff between them
    path("policy/", views.policy, name="policy"),
    path("policy/draft/", views.policy_draft_create, name="policy_draft_create"),
    path("policy/draft/discard/", views.policy_draft_discard, name="policy_draft_discard"),
    path("policy/draft/publish/", views.policy_publish, name="policy_publish"),
    path("policy/draft/rules/new/", views.policy_rule_create, name="rule_create"),
    path("policy/draft/rules/<int:rule_id>/", views.policy_rule_edit, name="rule_edit"),
    path("policy/draft/rules/<int:rule_id>/delete/", views.policy_rule_delete, name="rule_delete"),
    # reason codes
    path("reason-codes/", views.reason_code_list, name="reason_codes"),
    path("reason-codes/new/", views.reason_code_create, name="reason_code_create"),
    path("reason-codes/<int:reason_id>/", views.reason_code_edit, name="reason_code_edit"),
    path(
        "reason-codes/<int:reason_id>/toggle/", views.reason_code_toggle, name="reason_code_toggle"
    ),
    # risk settings
    path("risk/", views.risk, name="risk"),
    path("risk/thresholds/", views.risk_thresholds, name="risk_thresholds"),
    path("risk/categories/", views.risk_categories, name="risk_categories"),
    path("risk/countries/<slug:code>/", views.risk_country_class, name="risk_country_class"),
    # QC sampling rates
    path("qc-sampling/", views.qc_sampling, name="qc_sampling"),
    path("qc-sampling/<int:rule_id>/", views.qc_sampling_rule, name="qc_sampling_rule"),
    # users and roles
    path("users/", views.user_list, name="users"),
    path("users/invite/", views.user_invite, name="user_invite"),
    path("users/<int:user_id>/", views.user_detail, name="user"),
    path("users/<int:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/activate/", views.user_activate, name="user_activate"),
    path(
        "users/<int:user_id>/reset-second-factor/",
        views.user_second_factor_reset,
        name="user_reset_second_factor",
    ),
]
