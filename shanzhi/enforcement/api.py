"""REST endpoints for penalty cases (leads, case actions, publication), under /api/v1/team/."""

from ninja import Router

router = Router(tags=["team"])
