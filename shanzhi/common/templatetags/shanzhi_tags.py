from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ dict|get_item:key }} — look up a key that is itself a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
