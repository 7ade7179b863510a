"""What the pages show, read from the records: the waiting list and the child's small map.

Bulk reads only (one select per table); nothing here logs or keeps a child's data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from html import escape
from math import cos, radians
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from api.services.matching import age_on
from data.formats import CONGREGATE_SETTINGS
from data.models import Child, Community, Home, Placement
from data.queries import open_episodes, waiting_children
from geo import CommunityIndex

__all__ = ["AGE_BANDS", "WaitingChild", "child_map_svg", "load_waiting"]

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


def child_map_svg(
    index: CommunityIndex,
    removal: str,
    neighbours: frozenset[str],
    homes: list[tuple[int, str, float, float]],
    labels: dict[str, str],
    *,
    width: float = 420.0,
) -> str:
    """A small SVG map: the removal community (outlined), its neighbours, the ranked homes.

    ``homes`` are ``(rank, home id, latitude, longitude)``; ``labels`` holds the translated
    texts ``title``, ``removal`` and ``home`` (a format string with ``rank`` and ``home``).
    The removal address itself is never drawn: only its community.
    """
    shown = [c for c in index if c.id == removal or c.id in neighbours]
    if not shown:
        return ""
    points = [p for c in shown for ring in _rings(c.geometry) for p in ring]
    points += [(lon, lat) for _, _, lat, lon in homes]
    west, east = min(x for x, _ in points), max(x for x, _ in points)
    south, north = min(y for _, y in points), max(y for _, y in points)
    squeeze = cos(radians((south + north) / 2))  # degrees of longitude are shorter
    span_x = max((east - west) * squeeze, 1e-9)
    span_y = max(north - south, 1e-9)
    pad = 12.0
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
    for rank, home_id, lat, lon in homes:
        x, y = xy(lon, lat)
        tip = labels["home"].format(rank=rank, home=home_id)
        out.append(
            f'<g class="home"><title>{escape(tip)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8"/>'
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle">{rank}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def home_locations(session: Session, home_ids: list[str]) -> dict[str, tuple[float, float]]:
    """Latitude and longitude of the given homes."""
    rows = session.execute(
        select(col(Home.id), col(Home.latitude), col(Home.longitude)).where(
            col(Home.id).in_(home_ids)
        )
    ).all()
    return {h: (lat, lon) for h, lat, lon in rows}
