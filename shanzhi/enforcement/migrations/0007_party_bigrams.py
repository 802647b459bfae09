from django.db import migrations

# A two-character party search (王某, 徐霞) on a busy bureau's 400,000 cases: pg_trgm needs three
# characters, so names are indexed by their character pairs. The function is IMMUTABLE so the
# index can use it; the view confirms each candidate with a plain comparison. SQLite scans.
PG_SQL = [
    """CREATE OR REPLACE FUNCTION shanzhi_bigrams(t text) RETURNS text[]
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
         SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
         FROM generate_series(1, char_length(t) - 1) AS i $$""",
    "CREATE INDEX IF NOT EXISTS penalty_party_bigram ON enforcement_penaltycase USING gin (shanzhi_bigrams(party_name))",
    "DROP INDEX IF EXISTS penalty_party_trgm",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in PG_SQL:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS penalty_party_bigram")
        schema_editor.execute("DROP FUNCTION IF EXISTS shanzhi_bigrams(text)")
        schema_editor.execute("CREATE INDEX IF NOT EXISTS penalty_party_trgm ON enforcement_penaltycase "
                              "USING gin (party_name gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0006_party_search")]
    operations = [migrations.RunPython(forwards, backwards)]
