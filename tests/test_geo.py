import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import box, mapping

from shanzhi.common.coords import CoordinateError, wgs84_to_gcj02
from shanzhi.common.models import AuditLog
from shanzhi.geo.models import Grid, Region
from shanzhi.geo.services.grids import coverage_report, grid_create, grid_update_geometry
from shanzhi.geo.spatial import GridIndex, get_index, locate, reset_index

pytestmark = pytest.mark.django_db


def _a_level2_grid():
    return Grid.objects.filter(level=2, town__name="徐霞客镇", kind="comprehensive").order_by("code").first()


def test_locate_returns_the_finest_grid_with_its_ancestors_and_region():
    g = _a_level2_grid()
    loc = locate(g.center_lon, g.center_lat)
    assert loc.grid.level >= 2
    assert loc.town.name == "徐霞客镇"
    assert [a.level for a in loc.ancestors] == list(range(1, loc.grid.level))
    assert loc.region == loc.grid.region


def test_locate_converts_gcj02_and_bd09_input_to_wgs84():
    g = _a_level2_grid()
    gcj = wgs84_to_gcj02(g.center_lon, g.center_lat)
    loc = locate(*gcj, crs="gcj02")
    assert loc.grid == locate(g.center_lon, g.center_lat).grid
    assert abs(loc.lon - g.center_lon) < 1e-5 and abs(loc.lat - g.center_lat) < 1e-5
    from fast_geocn import wgs84_to_bd09

    assert locate(*wgs84_to_bd09(g.center_lon, g.center_lat), crs="bd09").grid == loc.grid


def test_locate_outside_the_county_finds_nothing_and_bad_crs_is_refused():
    assert locate(116.39, 39.9).grid is None
    with pytest.raises(CoordinateError):
        locate(120.3, 31.8, crs="mercator")
    with pytest.raises(CoordinateError):
        locate(200, 31.8)


def test_a_point_on_a_shared_border_goes_to_the_lowest_code():
    rows = [(1, "B002", 2, mapping(box(0, 0, 1, 1))), (2, "A001", 2, mapping(box(1, 0, 2, 1))),
            (3, "Z000", 1, mapping(box(0, 0, 2, 1)))]
    index = GridIndex(rows)
    assert index.locate_one(1.0, 0.5) == 2          # on the border between two level-2 grids
    assert index.locate_one(0.5, 0.5) == 1          # the finer grid wins over its parent
    assert list(index.locate_many([1.0, 0.5, 5.0], [0.5, 0.5, 5.0])) == [2, 1, 0]


def test_every_process_sees_new_grids_after_the_shared_counter_moves(settings, django_capture_on_commit_callbacks):
    settings.GRID_INDEX_CHECK_SECONDS = 0
    parent = _a_level2_grid()
    before = len(get_index())
    with django_capture_on_commit_callbacks(execute=True):
        _special_inside(parent, "32028199999901")
    assert len(get_index()) == before + 1


def _special_inside(parent, code, size=0.0004):
    from shapely.geometry import shape

    p = shape(parent.geometry).representative_point()
    # Avoid existing special grids inside this parent.
    existing = [shape(c.geometry) for c in parent.children.all()]
    for dx in (0, 0.001, -0.001, 0.002, -0.002):
        candidate = box(p.x + dx - size, p.y - size, p.x + dx + size, p.y + size)
        if shape(parent.geometry).contains(candidate) and not any(candidate.intersects(e) for e in existing):
            break
    return grid_create(actor=None, code=code, name="测试学校", level=parent.level + 1, region=parent.region,
                       parent=parent, geometry=mapping(candidate), kind="special", special_type="school")


def test_grid_create_refuses_an_invalid_polygon():
    parent = _a_level2_grid()
    bowtie = {"type": "Polygon", "coordinates": [[[120.3, 31.8], [120.31, 31.81], [120.31, 31.8], [120.3, 31.81],
                                                  [120.3, 31.8]]]}
    with pytest.raises(ValidationError) as exc:
        grid_create(actor=None, code="X1", name="x", level=3, region=parent.region, parent=parent, geometry=bowtie)
    assert "边界无效" in str(exc.value)
    assert not Grid.objects.filter(code="X1").exists()


def test_grid_create_refuses_a_polygon_outside_its_parent():
    parent = _a_level2_grid()
    _minx, miny, maxx, maxy = parent.min_lon, parent.min_lat, parent.max_lon, parent.max_lat
    outside = mapping(box(maxx - 0.0005, miny, maxx + 0.01, maxy))
    with pytest.raises(ValidationError, match="超出上级范围"):
        grid_create(actor=None, code="X2", name="x", level=3, region=parent.region, parent=parent, geometry=outside)


def test_grid_create_refuses_overlap_with_a_sibling():
    parent = _a_level2_grid()
    first = _special_inside(parent, "32028199999902")
    with pytest.raises(ValidationError, match="重叠"):
        grid_create(actor=None, code="X3", name="x", level=3, region=parent.region, parent=parent,
                    geometry=first.geometry)


def test_grid_create_checks_level_and_unique_code():
    parent = _a_level2_grid()
    with pytest.raises(ValidationError) as exc:
        grid_create(actor=None, code=parent.code, name="x", level=5, region=parent.region, parent=parent,
                    geometry=parent.geometry)
    assert set(exc.value.message_dict) == {"code", "level"}


def test_grid_create_is_audited(cast):
    parent = _a_level2_grid()
    grid = _special_inside(parent, "32028199999903")
    row = AuditLog.objects.get(object_type="geo.grid", object_id=str(grid.pk))
    assert row.action == "create" and row.after["code"] == "32028199999903"


def test_the_demo_town_has_no_coverage_gaps_and_a_removed_grid_shows_one():
    xxk = Region.objects.get(name="徐霞客镇")
    assert coverage_report(town=xxk) == []
    victim = Grid.objects.filter(town=xxk, level=2, children__isnull=True).order_by("code").first()
    victim.is_active = False
    victim.save()
    gaps = coverage_report(town=xxk)
    assert len(gaps) == 1 and gaps[0].area_m2 > 1000
    reset_index()


def test_redrawing_a_grid_with_a_stale_version_is_refused():
    parent = _a_level2_grid()
    grid = _special_inside(parent, "32028199999904")
    with pytest.raises(ValidationError, match="已被他人修改"):
        grid_update_geometry(actor=None, grid=grid, geometry=grid.geometry, expected_version=grid.version + 1)
    updated = grid_update_geometry(actor=None, grid=grid, geometry=grid.geometry, expected_version=grid.version)
    assert updated.version == grid.version + 1
