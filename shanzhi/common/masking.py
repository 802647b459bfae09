"""How personal data looks when the viewer's role does not need it in full."""


def mask_id_number(value: str) -> str:
    """Keep the province-city prefix (4) and the last 2 characters: 3202************1X.

    Shown beside a birth *year* (never the date) and the gender, this leaves the day of birth and
    two sequence digits unknown: about 365 × 100 / 11 ≈ 3,300 numbers fit, so no combination of
    what a role without the reveal right sees narrows a number below 1,000 candidates
    (tests/test_masks.py tries the reconstruction).
    """
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_phone(value: str) -> str:
    """138****5678"""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张*明 / 王* — used only where even names are not for the viewer (public pages)."""
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
