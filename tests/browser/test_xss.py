"""Names an administrator types go into the page as text: a grid or class name holding markup is
shown as written and never runs (and the content security policy would stop it if it did)."""

import os
import subprocess
import sys

import pytest

from .conftest import login

pytestmark = pytest.mark.browser
EVIL = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'


def _rename(data_dir, code_grid_sql):
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir), "DATABASE_URL": "", "SHANZHI_SEAL_KEY": "7c" * 32}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "shell", "-c", code_grid_sql], env=env, check=True,
                   capture_output=True)


def test_markup_in_grid_and_class_names_is_shown_as_text_and_never_runs(server, browser, data_dir):
    _rename(data_dir, f"""
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import IncidentClass
g = Grid.objects.filter(town__name="徐霞客镇", level=2).order_by("code").first()
Grid.objects.filter(pk=g.pk).update(name={EVIL!r} + "马镇")
IncidentClass.objects.filter(code="0101").update(name={EVIL!r} + "垃圾")
""")
    page = login(browser, server, "town_leader")
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{server}/geo/map/")
    page.wait_for_selector("#map[data-loaded='1']", timeout=15000)
    grid = page.evaluate("fetch('/geo/grids.geojson?level=2').then(r => r.json())"
                         ".then(fc => fc.features.find(f => f.properties.name.includes('<img')))")
    assert grid, "the renamed grid is on the map"
    lon, lat = grid["properties"]["center"] if "center" in grid["properties"] else (None, None)
    if lon is None:
        coords = grid["geometry"]["coordinates"][0]
        coords = coords[0] if isinstance(coords[0][0], list) else coords
        lon = sum(c[0] for c in coords) / len(coords)
        lat = sum(c[1] for c in coords) / len(coords)
    point = page.evaluate(f"(() => {{ const p = gridMap.latLngToContainerPoint([{lat}, {lon}]);"
                          "const r = document.getElementById('map').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()")
    page.mouse.move(*point)
    page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    assert "<img" in page.inner_text(".leaflet-tooltip")
    assert page.locator(".leaflet-tooltip img").count() == 0
    page.goto(f"{server}/center/?from=2020-01-01&to=2020-12-31")
    page.goto(f"{server}/incidents/")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
