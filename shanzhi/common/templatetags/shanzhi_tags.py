from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ dict|get_item:key }} — look up a key that is itself a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def changes(value) -> str:
    """An audit row's before/after as 'key: value' pairs a reader understands (not Python's repr)."""
    import json

    if not value:
        return ""
    if not isinstance(value, dict):
        return str(value)

    def show(v):
        if v is None:
            return "空"
        if v is True:
            return "是"
        if v is False:
            return "否"
        return json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v)

    return "；".join(f"{k}: {show(v)}" for k, v in value.items())
