from django.db import migrations

# "Search a party" on a busy bureau's 400,000 cases must not scan them all on PostgreSQL;
# SQLite scans the smaller table.
PG_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS penalty_party_trgm ON enforcement_penaltycase USING gin (party_name gin_trgm_ops)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in PG_SQL:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS penalty_party_trgm")


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0005_patrol_leads")]
    operations = [migrations.RunPython(forwards, backwards)]
