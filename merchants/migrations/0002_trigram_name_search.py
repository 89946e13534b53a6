"""Trigram indexes for the reviewers' merchant-name search (PostgreSQL only).

Django's `icontains` compiles to `UPPER(col::text) LIKE UPPER(%s)`; GIN trigram indexes on
those expressions let PostgreSQL find the few matching merchants without scanning all of
them (queue search at 100,000 open cases: docs/performance.md). Needs the pg_trgm extension
(CREATE EXTENSION needs a role allowed to create it; see docs/deployment.md).
"""

from django.db import migrations

COLUMNS = ("legal_name", "local_name", "trading_name", "registration_number")

FORWARD = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX IF NOT EXISTS merchants_merchant_{col}_trgm "
    f"ON merchants_merchant USING gin ((UPPER({col}::text)) gin_trgm_ops)"
    for col in COLUMNS
]
BACKWARD = [f"DROP INDEX IF EXISTS merchants_merchant_{col}_trgm" for col in COLUMNS]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for sql in FORWARD:
                cursor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for sql in BACKWARD:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("merchants", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
