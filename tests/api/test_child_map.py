"""The child's small map is framed on the communities and the nearest homes: homes near them
are drawn where they are, far ones become arrows on the edge and a list with their distance."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from shapely.geometry import box

from api.pages.views import MapHome, child_map_svg, edge_point, frame_child_map
from geo import Community, CommunityIndex

SVG = "{http://www.w3.org/2000/svg}"
CORE = (-87.70, 41.80, -87.60, 41.85)  # 0.10 degrees wide, 0.05 high
LABELS = {
    "title": "Removal community",
    "removal": "removal community",
    "home": "Rank {rank}: home {home}",
    "far": "Rank {rank}: home {home}, {km} km away",
}


def _home(rank: int, lat: float, lon: float, km: float = 1.0) -> MapHome:
    return MapHome(rank, f"H{rank}", lat, lon, km)


def test_homes_near_the_communities_are_drawn_where_they_are() -> None:
    """Homes within the core, or a little beyond it, are inside; the frame just takes them in."""
    homes = [_home(1, 41.82, -87.65), _home(2, 41.86, -87.58)]  # in; just north-east of it
    frame = frame_child_map(CORE, homes, nearest=0)
    assert frame.inside == tuple(homes) and frame.outside == ()
    assert (frame.west, frame.south) == (CORE[0], CORE[1])
    assert (frame.east, frame.north) == (-87.58, 41.86)


def test_a_far_home_does_not_shrink_the_communities() -> None:
    """A home 40 km off is outside when three homes are nearer: the frame stays on the
    communities and those homes."""
    near = [_home(r, 41.83, -87.66, km=1.0 + r) for r in (1, 3, 4)]
    far = _home(2, 42.20, -87.65, km=44.6)
    frame = frame_child_map(CORE, [near[0], far, *near[1:]])
    assert frame.inside == tuple(near) and frame.outside == (far,)
    assert (frame.west, frame.south, frame.east, frame.north) == CORE


def test_the_nearest_homes_are_drawn_even_beyond_the_reach() -> None:
    """When every home is far, the three nearest still frame the map and a fourth, farther
    still and off to the side, is an arrow."""
    homes = [
        _home(1, 41.70, -87.65, km=13.9),  # 15 km south
        _home(2, 41.95, -87.65, km=16.6),  # 14 km north
        _home(3, 41.82, -87.85, km=13.0),  # 13 km west
        _home(4, 42.60, -86.90, km=110.0),  # far north-east
    ]
    frame = frame_child_map(CORE, homes)
    assert [h.rank for h in frame.inside] == [1, 2, 3]
    assert [h.rank for h in frame.outside] == [4]
    assert (frame.west, frame.south, frame.east, frame.north) == (-87.85, 41.70, -87.60, 41.95)


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (41.85 + 0.025, -87.65, True),  # half the height beyond the north edge: the limit
        (41.85 + 0.026, -87.65, False),
        (41.82, -87.60 + 0.05, True),  # half the width beyond the east edge
        (41.82, -87.60 + 0.051, False),
    ],
)
def test_the_reach_is_half_the_communities_size(lat: float, lon: float, inside: bool) -> None:
    """A home is inside up to half the core's width (height) beyond it, whatever the direction,
    so the communities keep at least half of the map each way."""
    frame = frame_child_map(CORE, [_home(1, lat, lon)], nearest=0)
    assert bool(frame.inside) is inside
    core_share = (CORE[2] - CORE[0]) / (frame.east - frame.west)
    assert core_share >= 0.5 - 1e-9


def test_the_edge_point_is_on_the_box_towards_the_home() -> None:
    """The arrow sits where the line from the centre to the home leaves the box, pointing at it."""
    square = (0.0, 0.0, 100.0, 100.0)
    assert edge_point(square, 300.0, 50.0) == (100.0, 50.0, 0.0)  # east
    x, y, angle = edge_point(square, 50.0, -500.0)  # north (SVG's y grows downwards)
    assert (x, y, angle) == (50.0, 0.0, -90.0)
    x, y, angle = edge_point(square, 250.0, 250.0)  # south-east: the corner
    assert (x, y) == (100.0, 100.0) and math.isclose(angle, 45.0)


def test_the_svg_draws_far_homes_on_its_edge_and_returns_them() -> None:
    """Near homes are circles, far ones arrows titled with their distance; the map keeps the
    communities' proportions and the far homes come back for the page's list."""
    index = CommunityIndex(
        [
            Community("A", "Area A", box(-87.70, 41.80, -87.65, 41.85), 1000),
            Community("B", "Area B", box(-87.65, 41.80, -87.60, 41.85), 1000),
        ]
    )
    near = [_home(r, 41.83, -87.66 + 0.01 * r, km=1.0 + r) for r in (1, 3, 4)]
    far = _home(2, 42.20, -87.65, km=44.6)
    text, outside = child_map_svg(index, "A", frozenset({"B"}), [near[0], far, *near[1:]], LABELS)
    assert outside == (far,)
    root = ET.fromstring(text)
    homes = root.findall(f"{SVG}g")
    assert [g.get("class") for g in homes] == ["home", "home", "home", "home far"]
    assert homes[3].findtext(f"{SVG}title") == "Rank 2: home H2, 44.6 km away"
    width, height = (float(v) for v in (root.get("viewBox") or "").split()[2:])
    # the two communities' box is twice as wide as high (after the cosine): the map too
    ratio = (width - 28) / (height - 28)
    assert math.isclose(ratio, 0.1 * math.cos(math.radians(41.825)) / 0.05, rel_tol=0.01)
    assert "translate(" in (homes[3].get("transform") or "")  # on the edge
    arrow = homes[3].find(f"{SVG}path")
    assert arrow is not None and arrow.get("transform") == "rotate(-90)"  # north
