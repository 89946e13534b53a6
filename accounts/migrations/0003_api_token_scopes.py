"""Scopes are enforced from now on: tokens issued before (with no scopes) keep what they could
reach, i.e. every scope their owner's roles allow (the table of accounts/scopes.py, frozen
here as it stood when enforcement began)."""

from django.db import migrations

ROLE_SCOPES = {
    "seller": ["merchants:read", "merchants:write", "cases:read", "cases:write"],
    "reviewer": ["merchants:read", "cases:read", "cases:write"],
    "senior_reviewer": ["merchants:read", "cases:read", "cases:write"],
    "qc_lead": ["merchants:read", "cases:read", "qc", "audit:export"],
    "compliance_admin": [
        "merchants:read",
        "merchants:write",
        "cases:read",
        "cases:write",
        "qc",
        "audit:export",
        "webhooks:manage",
    ],
}


def grant_role_scopes(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user").prefetch_related("user__groups"):
        if token.scopes:
            continue
        scopes = set()
        for group in token.user.groups.all():
            scopes.update(ROLE_SCOPES.get(group.name, []))
        token.scopes = sorted(scopes)
        token.save(update_fields=["scopes"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_workbench")]

    operations = [migrations.RunPython(grant_role_scopes, migrations.RunPython.noop)]
