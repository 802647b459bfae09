from django.db import migrations

# Substring search on addresses must stay fast at millions of rows on PostgreSQL (name prefix
# search already has Django's varchar_pattern_ops index); SQLite scans the smaller table.
PG_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS geo_address_full_text_trgm ON geo_address USING gin (full_text gin_trgm_ops)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in PG_SQL:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("geo_address_full_text_trgm",):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial"), ("geo", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
