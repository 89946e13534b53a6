from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Review cases"

    def ready(self) -> None:
        # The hooks of the apps below (merchants/hooks.py, kyc/hooks.py): a change of a
        # merchant's verifiable data or documents is recorded on its open case (or opens a
        # change-of-details case for an active merchant) in the same transaction.
        from kyc.hooks import register_document_changed
        from merchants.hooks import register_details_changed

        from .details import details_change_record, document_change_record

        register_details_changed(details_change_record)
        register_document_changed(document_change_record)
