from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Review cases"

    def ready(self) -> None:
        # The one hook merchants exposes (merchants/hooks.py): a change of an active
        # merchant's details opens a change-of-details case in the same transaction.
        from merchants.hooks import register_details_changed

        from .details import details_change_record

        register_details_changed(details_change_record)
