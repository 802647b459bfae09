from django.db import migrations

# Prefix search on names and substring search on addresses must stay fast at millions of rows
# on PostgreSQL; SQLite uses the plain b-tree indexes from 0001.
PG_SQL = [
    "CREATE INDEX IF NOT EXISTS registry_person_name_prefix ON registry_person (name varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS registry_org_name_prefix ON registry_organisation (name varchar_pattern_ops)",
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
    for name in ("registry_person_name_prefix", "registry_org_name_prefix", "geo_address_full_text_trgm"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial"), ("geo", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
