"""Resolving the records a write refers to — a case to merge into, a department to dispatch to, a
household to join, an owner by ID number — through the actor's scope.

Every service that takes a reference resolves it here from a queryset already limited to what the
actor may use, so "outside the scope" and "does not exist" give the same error, with the same
work done (one indexed query either way). Bad identifiers ("abc", huge numbers) are just missing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """A database id from a form or API value, or None if it cannot be one."""
    if isinstance(value, Model):
        return value.pk
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def not_found(field: str, label: str) -> ValidationError:
    return ValidationError({field: ValidationError(_("%(label)s不存在或不在您的管辖范围内") % {"label": label},
                                                   code="not_found")})


def resolve(qs: QuerySet, *, field: str, label: str, pk=None, **lookup) -> Model:
    """One record of a scoped queryset by id (``pk``) or by another exact key (``lookup``)."""
    if pk is not None or not lookup:
        pk = as_id(pk)
        if pk is None:
            raise not_found(field, label)
        lookup = {"pk": pk}
    elif any(v in (None, "") for v in lookup.values()):
        raise not_found(field, label)
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise not_found(field, label)
    return obj


def resolve_many(qs: QuerySet, refs, *, field: str, label: str) -> list[Model]:
    """Several records by id; any one missing or outside fails the whole write."""
    ids = []
    for ref in refs:
        pk = as_id(ref)
        if pk is None:
            raise not_found(field, label)
        ids.append(pk)
    found = {o.pk: o for o in qs.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise not_found(field, label)
    return [found[i] for i in dict.fromkeys(ids)]
