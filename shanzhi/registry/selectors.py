"""Reads of the base registries, always through the actor's jurisdiction."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from shanzhi.common import crypto
from shanzhi.common.identifiers import normalise_id_number, normalise_mobile
from shanzhi.common.jurisdiction import actor_can, get_scoped_or_404, scope_for
from shanzhi.common.lookups import identifier_lookup
from shanzhi.geo.models import Address

from .models import Component, House, Household, Organisation, Person

ID_LIKE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
MOBILE_LIKE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
USCC_LIKE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
MODELS = {"person": Person, "household": Household, "house": House, "organisation": Organisation, "component": Component}


def scoped(actor, model) -> QuerySet:
    return scope_for(actor).filter(model.objects.all())


def get_for_actor(actor, kind: str, pk):
    return get_scoped_or_404(MODELS[kind].objects.select_related("address", "grid", "region"), actor, pk)


def classify_query(q: str) -> tuple[str, str]:
    """('id'|'phone'|'uscc'|'text', normalised value)."""
    q = q.strip()
    compact = q.replace(" ", "")
    if ID_LIKE.match(compact):
        try:
            return "id", normalise_id_number(compact)
        except Exception:  # noqa: BLE001 — an invalid number simply matches nothing as an ID
            return "id", compact.upper()
    if MOBILE_LIKE.match(compact):
        return "phone", normalise_mobile(compact)
    if USCC_LIKE.match(compact.upper()):
        return "uscc", compact.upper()
    return "text", q


def _addresses_matching(actor, text: str, limit: int = 200) -> list[int]:
    qs = scope_for(actor).filter(Address.objects.filter(full_text__contains=text))
    return list(qs.values_list("id", flat=True)[:limit])


def person_search(actor, q: str, limit: int = 50, ip: str | None = None) -> list[Person]:
    """By ID number or phone (exact, through the blind index — a reveal: see common.lookups), by
    name (prefix) or by address."""
    kind, value = classify_query(q)
    base = scoped(actor, Person).select_related("address", "grid", "region")
    if not value:
        return []
    if kind in ("id", "phone"):
        identifier_lookup(actor, kind, value, purpose="基础信息检索", ip=ip)
    if kind == "id":
        return list(base.filter(id_bidx=crypto.blind_index("id", value))[:limit])
    if kind == "phone":
        return list(base.filter(phone_bidx=crypto.blind_index("phone", value))[:limit])
    if kind == "uscc":
        return []
    # No ORDER BY in SQL: PostgreSQL then answers the prefix from the pattern index and stops at
    # the limit (ordering by name made it walk the whole name index under non-C collations).
    by_name = sorted(base.filter(name__startswith=value).order_by()[:limit], key=lambda p: (p.name, p.id))
    return _extend_by_address(actor, base, by_name, value, limit)


ADDRESS_HINTS = re.compile(r"[0-9市县乡镇街道路巷弄号村组社区幢栋室园苑]")


def _extend_by_address(actor, base: QuerySet, found: list, text: str, limit: int) -> list:
    """Fill the page up with records at addresses whose text contains the query — when the query
    looks like part of an address (a digit or an address word, or four characters or more): a
    two-character name is not looked for inside every address."""
    if len(found) >= limit or len(text) < 2 or not (len(text) >= 4 or ADDRESS_HINTS.search(text)):
        return found
    address_ids = _addresses_matching(actor, text)
    if address_ids:
        seen = {r.id for r in found}
        found += [r for r in base.filter(address_id__in=address_ids)[: limit - len(found)] if r.id not in seen]
    return found


def organisation_search(actor, q: str, limit: int = 50) -> list[Organisation]:
    kind, value = classify_query(q)
    base = scoped(actor, Organisation).select_related("address", "grid")
    if not value or kind == "id":
        return []
    if kind == "uscc":
        return list(base.filter(uscc=value)[:limit])
    if kind == "phone":  # a reveal like a person's (person_search, run first, audits the lookup)
        if not actor_can(actor, "reveal_pii"):
            return []
        return list(base.filter(phone_bidx=crypto.blind_index("phone", value))[:limit])
    return _extend_by_address(actor, base, list(base.filter(name__contains=value)[:limit]), value, limit)


def house_search(actor, q: str, limit: int = 50) -> list[House]:
    kind, value = classify_query(q)
    if kind != "text" or len(value) < 2:
        return []
    address_ids = _addresses_matching(actor, value)
    base = scoped(actor, House).select_related("address", "owner", "grid")
    return list(base.filter(address_id__in=address_ids)[:limit]) if address_ids else []


def grid_counts(grid_ids: list[int]) -> dict[str, int]:
    """Counts of people, households, houses, organisations and components in the given grids."""
    return {
        kind: MODELS[kind].objects.filter(grid_id__in=grid_ids).count()
        for kind in ("person", "household", "house", "organisation", "component")
    }
