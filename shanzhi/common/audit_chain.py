"""The audit log is append-only in the database and chained by hash.

- Triggers (PostgreSQL and SQLite) refuse every UPDATE and DELETE of an audit row, except the one
  update that seals it: setting ``seq`` and ``chain`` on a row that has neither, with every other
  column unchanged.
- The sealer (a job every minute, and ``shanzhi audit seal``) takes the committed rows not yet
  sealed, in id order, and gives each the next sequence number and
  ``chain = HMAC-SM3(key, previous chain ‖ the row's canonical form)``. The key is derived from the
  seal key, so whoever edits rows in a copied database cannot forge the chain again.
- ``shanzhi audit verify`` walks the chain and reports the first broken link.
Rows are chained in the order they are sealed, not by id: a transaction that commits late is
chained when it lands, and nothing waits on a single lock while the business write is open.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac
from django.db import connection, transaction

from . import crypto
from .models import AuditLog, ChangeCounter

GENESIS = "0" * 64
FIELDS = ["id", "at", "actor_id", "actor_label", "action", "object_type", "object_id", "object_repr", "before",
          "after", "note", "ip", "region_id"]
TABLE = AuditLog._meta.db_table


def _key() -> bytes:
    mac = hmac.HMAC(crypto._mac_key(), hashes.SM3())
    mac.update(b"shanzhi:audit-chain:v1")
    return mac.finalize()


def canonical(row: dict) -> bytes:
    values = [row[f].isoformat() if f == "at" else row[f] for f in FIELDS]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def link(previous: str, row: dict) -> str:
    mac = hmac.HMAC(_key(), hashes.SM3())
    mac.update(previous.encode() + b"|" + canonical(row))
    return mac.finalize().hex()


def seal(limit: int = 20_000) -> int:
    """Chain the committed rows not yet sealed; returns how many were sealed."""
    with transaction.atomic():
        # One sealer at a time: the chain head is a counter row locked for the duration.
        ChangeCounter.objects.get_or_create(name="audit-chain")
        ChangeCounter.objects.select_for_update().get(name="audit-chain")
        head = AuditLog.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "chain").first()
        seq, previous = (head["seq"], head["chain"]) if head else (0, GENESIS)
        rows = list(AuditLog.objects.filter(seq__isnull=True).order_by("id").values(*FIELDS)[:limit])
        updates = []
        for row in rows:
            seq += 1
            previous = link(previous, row)
            updates.append((seq, previous, row["id"]))
        if updates:
            with connection.cursor() as cursor:
                cursor.executemany(f'UPDATE "{TABLE}" SET "seq" = %s, "chain" = %s WHERE "id" = %s', updates)
    return len(updates)


@dataclass
class Verdict:
    checked: int
    unsealed: int
    broken_at: int | None = None  # seq of the first row whose link does not hold
    broken_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(batch: int = 5000) -> Verdict:
    previous, expected, checked = GENESIS, 1, 0
    last = 0
    while True:
        rows = list(AuditLog.objects.filter(seq__gt=last).order_by("seq").values("seq", "chain", *FIELDS)[:batch])
        if not rows:
            break
        for row in rows:
            if row["seq"] != expected or link(previous, row) != row["chain"]:
                return Verdict(checked, AuditLog.objects.filter(seq__isnull=True).count(), row["seq"], row["id"])
            previous, expected, checked = row["chain"], expected + 1, checked + 1
            last = row["seq"]
    return Verdict(checked, AuditLog.objects.filter(seq__isnull=True).count())


# --------------------------------------------------------------------------- the database guard
_COLUMNS = [f for f in FIELDS if f != "id"]

PG_GUARD = f"""
CREATE OR REPLACE FUNCTION shanzhi_audit_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND OLD.chain = '' AND NEW.chain <> ''
     AND ({", ".join(f"NEW.{c}" for c in ["id", *_COLUMNS])}) IS NOT DISTINCT FROM
         ({", ".join(f"OLD.{c}" for c in ["id", *_COLUMNS])}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit rows are append-only (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS shanzhi_audit_guard ON "{TABLE}";
CREATE TRIGGER shanzhi_audit_guard BEFORE UPDATE OR DELETE ON "{TABLE}"
  FOR EACH ROW EXECUTE FUNCTION shanzhi_audit_guard();
"""
PG_DROP = f'DROP TRIGGER IF EXISTS shanzhi_audit_guard ON "{TABLE}"; DROP FUNCTION IF EXISTS shanzhi_audit_guard();'

SQLITE_GUARD = [
    'DROP TRIGGER IF EXISTS shanzhi_audit_no_delete',
    'DROP TRIGGER IF EXISTS shanzhi_audit_no_update',
    f'CREATE TRIGGER shanzhi_audit_no_delete BEFORE DELETE ON "{TABLE}" '
    f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only (DELETE refused)'); END",
    f'CREATE TRIGGER shanzhi_audit_no_update BEFORE UPDATE ON "{TABLE}" WHEN NOT ('
    f"OLD.seq IS NULL AND NEW.seq IS NOT NULL AND OLD.chain = '' AND NEW.chain <> '' AND "
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in ["id", *_COLUMNS])
    + ") BEGIN SELECT RAISE(ABORT, 'audit rows are append-only (UPDATE refused)'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS shanzhi_audit_no_delete", "DROP TRIGGER IF EXISTS shanzhi_audit_no_update"]


def install_guard(schema_editor=None) -> None:
    conn = schema_editor.connection if schema_editor else connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(PG_GUARD)
        elif conn.vendor == "sqlite":
            for statement in SQLITE_GUARD:
                cursor.execute(statement)


def remove_guard(schema_editor=None) -> None:
    conn = schema_editor.connection if schema_editor else connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(PG_DROP)
        elif conn.vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)


@contextlib.contextmanager
def guard_suspended():
    """For maintenance that empties the whole database (``shanzhi demo --rebuild``) and for tests
    that play a tamperer: lifts the guard inside the current transaction and puts it back."""
    with transaction.atomic():
        remove_guard()
        try:
            yield
        finally:
            install_guard()
