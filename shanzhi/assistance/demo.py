"""The demo's social assistance (to be written)."""


def build(*, now=None, seed: int = 2026, log=lambda m: None) -> dict:
    return {}
