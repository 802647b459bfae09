"""The demo's village mutual-aid funds (to be written)."""


def build(*, now=None, seed: int = 2026, log=lambda m: None) -> dict:
    return {}
