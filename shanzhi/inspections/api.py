"""REST endpoints for random inspections (双随机一公开) and credit, under /api/v1/inspections/."""

from ninja import Router

router = Router(tags=["inspections"])
public = Router(tags=["inspections"], auth=None)
