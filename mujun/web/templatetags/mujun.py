"""Display filters: numbers are rounded only here, for display (the engine keeps float64)."""

from django import template

register = template.Library()


@register.filter
def num(value, digits=2):
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):,.{int(digits)}f}"
    except (TypeError, ValueError):
        return value


@register.filter
def pct(value, digits=0):
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def signed(value, digits=2):
    if value is None:
        return "—"
    return f"{float(value):+,.{int(digits)}f}"


@register.filter
def get(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)
