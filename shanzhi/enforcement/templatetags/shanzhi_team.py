from django import template

register = template.Library()


@register.simple_tag
def incident_leads(incident, user):
    """The penalty cases an incident became (those the user may see) and whether this user — a
    certified officer of the incident's town — may turn it into one."""
    from django.utils import timezone

    from shanzhi.enforcement.cases import PENALTY
    from shanzhi.enforcement.models import Officer
    from shanzhi.enforcement.states import Status

    if not getattr(user, "is_authenticated", False):
        return {"cases": [], "may_convert": False}
    cases = list(PENALTY.visible(user).filter(incident=incident))
    officer = Officer.objects.filter(user=user, squad__town_id=incident.town_id).first()
    open_lead = any(c.status != Status.NOT_FILED for c in cases)
    may = bool(officer and officer.certified(timezone.localdate()) and not open_lead
               and incident.status not in ("closed", "archived", "voided", "merged"))
    return {"cases": cases, "may_convert": may}
