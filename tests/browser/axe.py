"""axe-core in a Playwright page: the WCAG 2.1 A/AA checks of the vendored axe (vendor/axe.min.js).

The pages' Content-Security-Policy (``script-src 'self'``) blocks a ``<script>`` added to the page,
so ``page.add_script_tag`` cannot load axe; ``page.evaluate`` runs the source through the DevTools
protocol, which the policy does not govern. Usage::

    from .axe import serious
    assert not serious(page), serious(page)
"""

from __future__ import annotations

import functools
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BAD = ("serious", "critical")
NODES = 5  # node targets kept per violation


@functools.cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def _inject(page) -> None:
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(_source())
        if not page.evaluate("() => typeof window.axe === 'object'"):
            raise RuntimeError("axe-core did not load into the page")


def violations(page, tags=TAGS) -> list[dict]:
    """Every violation axe finds, summarised: id, impact, help, the number of nodes, the first few
    nodes' targets and the first node's failure summary."""
    _inject(page)
    found = page.evaluate(
        """async ({tags, keep}) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                targets: v.nodes.slice(0, keep).map(n => n.target.join(' ')),
                summary: v.nodes.length ? (v.nodes[0].failureSummary || '') : '',
            }));
        }""",
        {"tags": list(tags), "keep": NODES},
    )
    return found


def serious(page) -> list[dict]:
    """The violations of impact "serious" or "critical" (an empty list when the page passes)."""
    return [v for v in violations(page) if v["impact"] in BAD]
