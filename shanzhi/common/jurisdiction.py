"""The one scoping mechanism: what an actor may see and change.

A user's posts bind them to region subtrees, grid subtrees or departments. Every list, detail,
search, export and API endpoint filters through ``scope_for(actor)``; records carry the finest
region (village/community) and grid they belong to, so the filter is two indexed ``IN`` lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404


@dataclass(frozen=True)
class Scope:
    unrestricted: bool = False
    region_ids: frozenset[int] = field(default_factory=frozenset)
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    department_ids: frozenset[int] = field(default_factory=frozenset)
    # Regions seen only through a department post: grids, the map and town lists include them;
    # personal registries and incident lists do not (a department sees the cases sent to it, not
    # every case or resident of its region — a county bureau does not browse the county's registry).
    dept_region_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.unrestricted or self.region_ids or self.grid_ids or self.dept_region_ids)

    def q(self, *, region: str | None = "region", grid: str | None = "grid", department: str | None = None) -> Q:
        """A Q object limiting records by their region, grid and (for cases) department keys."""
        if self.unrestricted:
            return Q()
        cond = Q(pk__in=[])
        if region and self.region_ids:
            cond |= Q(**{f"{region}_id__in": self.region_ids})
        if department and self.department_ids:
            cond |= Q(**{f"{department}_id__in": self.department_ids})
        if grid and self.grid_ids:
            cond |= Q(**{f"{grid}_id__in": self.grid_ids})
        return cond

    def contains(self, obj, *, region: str | None = "region", grid: str | None = "grid",
                 department: str | None = None) -> bool:
        """The same rule as ``q()`` for one record already in hand."""
        if self.unrestricted:
            return True
        if region and getattr(obj, f"{region}_id") in self.region_ids:
            return True
        if department and getattr(obj, f"{department}_id") in self.department_ids:
            return True
        return bool(grid and getattr(obj, f"{grid}_id") in self.grid_ids)

    def filter(self, qs: QuerySet, *, region: str | None = "region", grid: str | None = "grid",
               department: str | None = None) -> QuerySet:
        return qs if self.unrestricted else qs.filter(self.q(region=region, grid=grid, department=department))

    def places(self, qs: QuerySet, *, region: str = "region", grid: str = "grid") -> QuerySet:
        """Place records that hold no personal data (door plates, components): also in the
        regions a department post covers."""
        if self.unrestricted:
            return qs
        return qs.filter(Q(**{f"{grid}_id__in": self.grid_ids})
                         | Q(**{f"{region}_id__in": self.region_ids | self.dept_region_ids}))

    def grids(self, qs: QuerySet) -> QuerySet:
        """Grids themselves: by their own id or their village."""
        if self.unrestricted:
            return qs
        return qs.filter(Q(pk__in=self.grid_ids) | Q(region_id__in=self.region_ids | self.dept_region_ids))

    def regions(self, qs: QuerySet) -> QuerySet:
        if self.unrestricted:
            return qs
        return qs.filter(pk__in=self.region_ids | self.dept_region_ids)


def _subtree_ids(model, paths: set[str]) -> set[int]:
    if not paths:
        return set()
    cond = Q()
    for p in paths:
        cond |= Q(path__startswith=p)
    return set(model.objects.filter(cond).values_list("id", flat=True))


def scope_for(actor) -> Scope:
    """Computed once per request (cached on the user object)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Scope()
    cached = getattr(actor, "_shanzhi_scope", None)
    if cached is not None:
        return cached
    from shanzhi.accounts.models import Post
    from shanzhi.accounts.roles import SPECS, Binding
    from shanzhi.geo.models import Grid, Region

    if actor.is_superuser:
        scope = Scope(unrestricted=True, roles=frozenset({"admin"}))
    else:
        region_paths: set[str] = set()
        dept_region_paths: set[str] = set()
        grid_paths: set[str] = set()
        departments: set[int] = set()
        roles: set[str] = set()
        posts = Post.objects.filter(user=actor, is_active=True).select_related("region", "grid", "department__region")
        for post in posts:
            roles.add(post.role)
            binding = SPECS[post.role].binding
            if binding == Binding.REGION and post.region:
                region_paths.add(post.region.path)
            elif binding == Binding.GRID and post.grid:
                grid_paths.add(post.grid.path)
            elif binding == Binding.DEPARTMENT and post.department:
                departments.add(post.department_id)
                dept_region_paths.add(post.department.region.path)
        scope = Scope(
            region_ids=frozenset(_subtree_ids(Region, region_paths)),
            grid_ids=frozenset(_subtree_ids(Grid, grid_paths)),
            department_ids=frozenset(departments),
            dept_region_ids=frozenset(_subtree_ids(Region, dept_region_paths)),
            roles=frozenset(roles),
        )
    actor._shanzhi_scope = scope
    return scope


def get_scoped_or_404(qs: QuerySet, actor, pk, **scope_kwargs):
    """Fetch one record through the actor's scope; outside it looks exactly like 'not found'."""
    obj = scope_for(actor).filter(qs, **scope_kwargs).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def actor_can(actor, capability: str) -> bool:
    """Capabilities from RoleSpec: 'reveal_pii', 'manage_registry', 'read_audit'."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser:
        return True
    from shanzhi.accounts.roles import SPECS

    return any(getattr(SPECS[r], capability) for r in scope_for(actor).roles if r in SPECS)
