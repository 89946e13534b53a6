from django.apps import AppConfig


class KycConfig(AppConfig):
    name = "kyc"
    verbose_name = "KYC evidence"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import PolicyVersion, RequirementRule
        from .requirements import policy_rules_forget

        for model in (PolicyVersion, RequirementRule):
            post_save.connect(policy_rules_forget, sender=model, dispatch_uid=f"rules-{model}")
            post_delete.connect(policy_rules_forget, sender=model, dispatch_uid=f"rules-d-{model}")
        m2m_changed.connect(
            policy_rules_forget,
            sender=RequirementRule.document_types.through,
            dispatch_uid="rules-m2m",
        )
