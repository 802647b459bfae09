"""``{% credit_card org %}``: an organisation's credit record (grade, score, what counts against
it, the last events), for the registry, the one window and the inspection pages."""

from django import template

from .. import credit

register = template.Library()


@register.inclusion_tag("inspections/_credit_card.html")
def credit_card(org):
    if org is None or not getattr(org, "pk", None):
        return {"summary": None}
    return {"summary": credit.summary(org), "org": org}
