"""The map: kilns and production places from the shipped bilingual gazetteer
(``web/data/gazetteer.json``), drawn over the land outline of Natural Earth as packaged by the
``world-atlas`` npm package (vendored in ``web/static/vendor/world-atlas``), with no tile server.

A place's count is the number of public wares whose place of production names it (any of the
gazetteer's names for it), found by the same fielded search its link runs, so they agree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import url_for

from web.views.context import search_service
from web.views.language import current_language
from web.views.recent import recent

WEB = Path(__file__).resolve().parents[1]
GAZETTEER = WEB / "data" / "gazetteer.json"
LAND = WEB / "static" / "vendor" / "world-atlas" / "land-110m.json"
# The window drawn: from the Atlantic coast of Europe to Japan, plate carrée with the longitude
# scaled by cos(40°) so Europe and China keep a familiar shape.
WEST, EAST, SOUTH, NORTH = -12.0, 134.0, 18.0, 60.0
X_SCALE = math.cos(math.radians(40))
UNITS = 10.0


@dataclass(frozen=True)
class Place:
    """A gazetteer place, placed on the map, with its number of wares."""

    id: str
    name: str
    other_name: str
    other_lang: str
    x: float
    y: float
    count: int
    radius: float
    href: str
    source: str
    latitude: float
    longitude: float


@cache
def gazetteer() -> dict[str, object]:
    """The shipped gazetteer, read once."""
    return json.loads(GAZETTEER.read_text(encoding="utf-8"))


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """Drawing coordinates of a point (the map's viewBox is ``viewbox()``)."""
    return (
        round((longitude - WEST) * X_SCALE * UNITS, 1),
        round((NORTH - latitude) * UNITS, 1),
    )


def viewbox() -> str:
    """The SVG viewBox of the window drawn."""
    width, height = project(EAST, SOUTH)
    return f"0 0 {width} {height}"


def place_query(names: list[str]) -> str:
    """The fielded search that finds a place's wares: any of its names in the place field."""
    terms = " OR ".join(f'"{name}"' if not name.isalnum() else name for name in names)
    return f"place:({terms})"


def places_with_counts() -> list[Place]:
    """Every gazetteer place with its number of public wares (a minute old at most), largest
    first so small circles are drawn on top of large ones."""

    def counts() -> dict[str, int]:
        service = search_service()
        return {
            entry["id"]: service.keyword(place_query(entry["names"]), per_page=1).total
            for entry in gazetteer()["places"]  # type: ignore[index]
        }

    numbers = recent("map.counts", counts)
    language = current_language()
    other = "en" if language == "zh" else "zh"
    largest = max(numbers.values(), default=0) or 1
    places = []
    for entry in gazetteer()["places"]:  # type: ignore[index]
        x, y = project(entry["lon"], entry["lat"])
        count = numbers.get(entry["id"], 0)
        places.append(
            Place(
                id=entry["id"],
                name=entry[language],
                other_name=entry[other],
                other_lang=other,
                x=x,
                y=y,
                count=count,
                # Area proportional to the count; a place without wares is a small dot.
                radius=round(4 + 26 * math.sqrt(count / largest), 1) if count else 3.0,
                href=url_for("search.index", q=place_query(entry["names"])),
                source=entry["source"],
                latitude=entry["lat"],
                longitude=entry["lon"],
            )
        )
    return sorted(places, key=lambda place: -place.radius)


def _arcs(topology: dict) -> list[list[tuple[float, float]]]:
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


@cache
def outline() -> str:
    """The land of the world as one SVG path (``d``) in the map's drawing coordinates, decoded
    from the vendored TopoJSON (quantised, delta-encoded arcs)."""
    topology = json.loads(LAND.read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    parts = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                points = [project(lon, lat) for lon, lat in _ring(arcs, ring)]
                if len(points) > 2:
                    parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
    return "".join(parts)
