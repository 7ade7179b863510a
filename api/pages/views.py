"""What the pages show, read from the records: the waiting list and the child's small map.

Bulk reads only (one select per table); nothing here logs or keeps a child's data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from math import atan2, cos, degrees, radians
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from api.services.matching import age_on
from data.formats import CONGREGATE_SETTINGS
from data.models import Child, Community, Home, Placement
from data.queries import open_episodes, waiting_children
from geo import CommunityIndex

__all__ = [
    "AGE_BANDS",
    "MapFrame",
    "MapHome",
    "WaitingChild",
    "child_map_svg",
    "edge_point",
    "frame_child_map",
    "load_waiting",
]

AGE_BANDS = {"0-5": (0, 5), "6-12": (6, 12), "13-17": (13, 17), "18-21": (18, 21)}


@dataclass(frozen=True, slots=True)
class WaitingChild:
    """One row of the waiting list."""

    id: str
    age: int
    siblings_waiting: int
    community_id: str | None
    community: str
    setting: str | None  # the current (congregate) setting; None without a placement
    days_waiting: int


def load_waiting(session: Session, today: date) -> list[WaitingChild]:
    """Every waiting child with the figures the list shows and filters on, by id."""
    ids = waiting_children(session)
    if not ids:
        return []
    children = {
        c.id: c for c in session.execute(select(Child).where(col(Child.id).in_(ids))).scalars()
    }
    episodes = open_episodes(session, ids)
    placements: dict[str, list[Placement]] = defaultdict(list)
    for p in session.execute(select(Placement).where(col(Placement.child_id).in_(ids))).scalars():
        placements[p.child_id].append(p)
    names = dict(session.execute(select(col(Community.id), col(Community.name))).all())
    groups: dict[str, int] = defaultdict(int)
    for c in children.values():
        if c.sibling_group_id:
            groups[c.sibling_group_id] += 1
    rows = []
    for child_id in ids:
        child, episode = children[child_id], episodes.get(child_id)
        if episode is None:
            continue
        current = next((p for p in placements[child_id] if p.ended_on is None), None)
        if current is not None and current.setting in CONGREGATE_SETTINGS:
            since = current.started_on
        else:
            ended = [
                p.ended_on
                for p in placements[child_id]
                if p.ended_on is not None and p.started_on >= episode.removed_on
            ]
            since = max(ended, default=episode.removed_on)
        community_id = episode.removal_community_id
        rows.append(
            WaitingChild(
                id=child_id,
                age=age_on(child.birth_date, today),
                siblings_waiting=(
                    groups[child.sibling_group_id] - 1 if child.sibling_group_id else 0
                ),
                community_id=community_id,
                community=names.get(community_id, "—") if community_id else "—",
                setting=current.setting if current is not None else None,
                days_waiting=max(0, (today - since).days),
            )
        )
    return rows


def _rings(geometry: Any) -> list[list[tuple[float, float]]]:
    polygons = getattr(geometry, "geoms", [geometry])
    rings: list[list[tuple[float, float]]] = []
    for polygon in polygons:
        exterior = getattr(polygon, "exterior", None)
        if exterior is not None:
            rings.append([(float(x), float(y)) for x, y in exterior.coords])
    return rings


# the nearest candidate homes are always drawn; the others while they lie within this share
# of the frame's width (or height) beyond its edge: far homes never shrink the communities
NEAREST = 3
REACH = 0.5


@dataclass(frozen=True, slots=True)
class MapHome:
    """A ranked home on the child's map: rank, id, latitude, longitude, km from the removal."""

    rank: int
    home_id: str
    latitude: float
    longitude: float
    distance_km: float | None = None


@dataclass(frozen=True, slots=True)
class MapFrame:
    """What the child's map shows: its bounds (degrees), the homes drawn where they are, and
    the homes beyond its edge (drawn as an arrow on the edge and listed with their distance)."""

    west: float
    south: float
    east: float
    north: float
    inside: tuple[MapHome, ...]
    outside: tuple[MapHome, ...]


def frame_child_map(
    core: tuple[float, float, float, float],
    homes: list[MapHome],
    nearest: int = NEAREST,
    reach: float = REACH,
) -> MapFrame:
    """Frame the map on the communities and the nearest homes, not on the farthest home.

    ``core`` is the bounds ``(west, south, east, north)`` of the removal community and its
    neighbours. The frame takes in the core and the ``nearest`` homes closest to the removal
    address (by ``distance_km``; a home without one counts as farthest). Any other home
    within ``reach`` times the frame's width (east-west) and height (north-south) beyond it
    is inside too, and the frame grows to take it in; the rest are outside, however far. So
    a home 40 km away never shrinks the communities into a corner.
    """
    by_distance = sorted(homes, key=lambda h: (h.distance_km is None, h.distance_km or 0.0, h.rank))
    first = by_distance[:nearest]
    west = min([core[0], *(h.longitude for h in first)])
    south = min([core[1], *(h.latitude for h in first)])
    east = max([core[2], *(h.longitude for h in first)])
    north = max([core[3], *(h.latitude for h in first)])
    grow_x, grow_y = reach * (east - west), reach * (north - south)
    inside = [
        h
        for h in homes
        if h in first
        or (
            west - grow_x <= h.longitude <= east + grow_x
            and south - grow_y <= h.latitude <= north + grow_y
        )
    ]
    outside = [h for h in homes if h not in inside]
    return MapFrame(
        west=min([west, *(h.longitude for h in inside)]),
        south=min([south, *(h.latitude for h in inside)]),
        east=max([east, *(h.longitude for h in inside)]),
        north=max([north, *(h.latitude for h in inside)]),
        inside=tuple(inside),
        outside=tuple(outside),
    )


def edge_point(
    box: tuple[float, float, float, float], x: float, y: float
) -> tuple[float, float, float]:
    """Where the line from the centre of ``box`` (left, top, right, bottom, in pixels) to the
    point ``(x, y)`` outside it leaves the box, and the line's angle in degrees (0 = east,
    90 = south, as SVG rotates)."""
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    dx, dy = x - cx, y - cy
    scales = []
    if dx:
        scales.append(((right if dx > 0 else left) - cx) / dx)
    if dy:
        scales.append(((bottom if dy > 0 else top) - cy) / dy)
    t = min(scales, default=0.0)
    return cx + t * dx, cy + t * dy, degrees(atan2(dy, dx))


def child_map_svg(
    index: CommunityIndex,
    removal: str,
    neighbours: frozenset[str],
    homes: list[MapHome],
    labels: dict[str, str],
    *,
    width: float = 420.0,
    number: Callable[[float], str] = "{:.1f}".format,
) -> tuple[str, tuple[MapHome, ...]]:
    """A small SVG map: the removal community (outlined), its neighbours, the ranked homes;
    and the homes too far to draw where they are (see :func:`frame_child_map`).

    ``labels`` holds the translated texts ``title``, ``removal``, ``home`` (a format string
    with ``rank`` and ``home``) and ``far`` (with ``rank``, ``home`` and ``km``, written by
    ``number``). A far home is
    an arrow on the map's edge, pointing towards it. The removal address itself is never
    drawn: only its community.
    """
    shown = [c for c in index if c.id == removal or c.id in neighbours]
    if not shown:
        return "", ()
    points = [p for c in shown for ring in _rings(c.geometry) for p in ring]
    core = (
        min(x for x, _ in points),
        min(y for _, y in points),
        max(x for x, _ in points),
        max(y for _, y in points),
    )
    frame = frame_child_map(core, homes)
    west, south, east, north = frame.west, frame.south, frame.east, frame.north
    squeeze = cos(radians((south + north) / 2))  # degrees of longitude are shorter
    span_x = max((east - west) * squeeze, 1e-9)
    span_y = max(north - south, 1e-9)
    pad = 14.0
    scale = (width - 2 * pad) / span_x
    height = span_y * scale + 2 * pad

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return pad + (lon - west) * squeeze * scale, pad + (north - lat) * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="childmap" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" aria-labelledby="childmap-title">',
        f'<title id="childmap-title">{escape(labels["title"])}</title>',
    ]
    for community in sorted(shown, key=lambda c: c.id == removal):  # removal drawn last
        d = " ".join(
            "M"
            + " L".join(f"{x:.1f},{y:.1f}" for x, y in (xy(lon, lat) for lon, lat in ring))
            + " Z"
            for ring in _rings(community.geometry)
        )
        is_removal = community.id == removal
        tip = community.name + (f" ({labels['removal']})" if is_removal else "")
        css = "removal" if is_removal else "neighbour"
        out.append(f'<path class="{css}" d="{d}"><title>{escape(tip)}</title></path>')
        point = community.geometry.representative_point()
        x, y = xy(point.x, point.y)
        out.append(
            f'<text class="clabel" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">'
            f"{escape(community.name)}</text>"
        )
    for home in frame.inside:
        x, y = xy(home.longitude, home.latitude)
        tip = labels["home"].format(rank=home.rank, home=home.home_id)
        out.append(
            f'<g class="home"><title>{escape(tip)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8"/>'
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle">{home.rank}</text></g>'
        )
    inner = (pad, pad, width - pad, height - pad)
    for home in frame.outside:
        x, y, angle = edge_point(inner, *xy(home.longitude, home.latitude))
        km = "?" if home.distance_km is None else number(home.distance_km)
        tip = labels["far"].format(rank=home.rank, home=home.home_id, km=km)
        # a hollow rank marker on the edge with a pointer towards the home
        out.append(
            f'<g class="home far" data-home="{escape(home.home_id)}" '
            f'transform="translate({x:.1f},{y:.1f})"><title>{escape(tip)}</title>'
            f'<path d="M7,-5 L14,0 L7,5 Z" transform="rotate({angle:.0f})"/>'
            f'<circle r="8"/><text y="3.5" text-anchor="middle">{home.rank}</text></g>'
        )
    out.append("</svg>")
    return "".join(out), frame.outside


def home_locations(session: Session, home_ids: list[str]) -> dict[str, tuple[float, float]]:
    """Latitude and longitude of the given homes."""
    rows = session.execute(
        select(col(Home.id), col(Home.latitude), col(Home.longitude)).where(
            col(Home.id).in_(home_ids)
        )
    ).all()
    return {h: (lat, lon) for h, lat, lon in rows}
