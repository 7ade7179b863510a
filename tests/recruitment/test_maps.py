"""Maps: the SVG parses with one shape per community and a legend; the GeoJSON is valid."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box, shape

from geo import Community, CommunityIndex
from recruitment import GapResult, RecruitmentPolicy, compute_gaps, gap_geojson, svg_map
from recruitment.gaps import binding_rule
from recruitment.maps import GAP_CLASSES, PALETTE, ClassBreaks, MapText, gap_classes
from tests.helpers.recruitment import build, communities, home, steady_entries

SVG = "{http://www.w3.org/2000/svg}"


def comma(value: object, digits: int) -> str:
    """Numbers as Spanish writes them: ``1.234,5``."""
    if not isinstance(value, int | float) or value != value:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


# a Spanish text table, complete so that no English word is left (the pages have theirs)
SPANISH = MapText(
    heading="Déficit de familias, {segment} (a {horizon} meses desde el {as_of})",
    no_figures="{community}: sin cifras",
    tip_suppressed="{segment}: cifras omitidas (de 1 a {threshold} niños)",
    tip_homes="hogares hoy: {homes}",
    tip_segment="{segment}, a {horizon} meses",
    tip_gap="déficit de {gap} hogares (intervalo de {low} a {high})",
    tip_need="se necesitan {need} hogares para {children} niños",
    tip_supply="hogares hoy: {homes}, cierres: {closures}, en trámite: {pipeline}",
    tip_recruit="reclutar {target} hogares ({inquiries} consultas)",
    tip_unmet="en espera sin hogar: {unmet} ({rule})",
    legend_title="Déficit, {segment}",
    legend_subtitle="hogares necesarios menos hogares previstos",
    class_spare_many="{low} o más hogares de sobra",
    class_spare="de {low} a {high} hogares de sobra",
    class_even="en equilibrio (faltan 0 hogares)",
    class_short="faltan de {low} a {high} hogares",
    class_short_many="faltan {low} o más hogares",
    suppressed="omitido",
    notes="Gris, rayado: cifras de 1 a {threshold}\nniños no publicadas.\n"
    "Nivel de servicio {service_level}%.",
    number=comma,
    day=lambda day: f"día {day}",
    segment=lambda key: {"all": "Todos los niños"}.get(key, key),
)


@pytest.fixture
def index() -> CommunityIndex:
    """Three squares in a row; the middle one has a hole (a park), the last is named with &."""
    holed = Polygon(
        [(-87.65, 41.8), (-87.6, 41.8), (-87.6, 41.85), (-87.65, 41.85)],
        [[(-87.64, 41.81), (-87.63, 41.81), (-87.63, 41.82)]],
    )
    return CommunityIndex(
        [
            Community("A", "Area A", box(-87.7, 41.8, -87.65, 41.85), 1000),
            Community("B", "Area B", holed, 1000),
            Community("C", "Smith & Jones <Park>", box(-87.6, 41.8, -87.55, 41.85), 1000),
        ]
    )


@pytest.fixture
def result(index: CommunityIndex, plain_policy: RecruitmentPolicy) -> GapResult:
    episodes = steady_entries("A", 30) + steady_entries("B", 2) + steady_entries("C", 12)
    inputs = build(
        episodes,
        communities(("A", 1000), ("B", 1000), ("C", 1000)),
        [home("C") for _ in range(30)],
        neighbours={c.id: index.neighbours(c.id) for c in index},
    )
    return compute_gaps(inputs, replace(plain_policy, suppression_threshold=10))


def test_svg_parses_with_one_shape_per_community(result: GapResult, index: CommunityIndex) -> None:
    """The SVG is XML with one titled path per community, names, and a legend."""
    root = ET.fromstring(svg_map(result, index, "all"))
    paths = root.findall(f".//{SVG}g[@id='communities']/{SVG}path")
    assert len(paths) == len(index)
    assert all(p.find(f"{SVG}title") is not None for p in paths)
    labels = [t.text for t in root.findall(f".//{SVG}g[@id='labels']/{SVG}text")]
    assert labels == ["Area A", "Area B", "Smith & Jones <Park>"]
    legend = root.find(f".//{SVG}g[@id='legend']")
    assert legend is not None
    assert len(legend.findall(f"{SVG}rect")) == len(PALETTE) + 1
    assert "suppressed" in "".join(legend.itertext())


def test_svg_colours_and_greys(result: GapResult, index: CommunityIndex) -> None:
    """A shortfall is orange, spare homes purple, a suppressed community hatched grey."""
    root = ET.fromstring(svg_map(result, index, "all"))
    fills = {p.get("data-id"): p.get("fill") for p in root.iter(f"{SVG}path")}
    rows = {r["community"]: r for r in result.rows("all").to_dict("records")}
    assert fills["A"] in PALETTE[3:]
    assert fills["A"] == PALETTE[int(GAP_CLASSES.classify([rows["A"]["gap"]])[0])]
    assert fills["B"] == "url(#suppressed)"
    assert fills["C"] in PALETTE[:2]
    tips = {p.get("data-id"): p.findtext(f"{SVG}title", "") for p in root.iter(f"{SVG}path")}
    assert "figures suppressed" in tips["B"] and "gap" not in tips["B"]
    assert "gap +" in tips["A"] and "recruit" in tips["A"]


def test_svg_for_another_segment(result: GapResult, index: CommunityIndex) -> None:
    """Any computed segment can be mapped; its key is in the title."""
    text = svg_map(result, index, "age:6-12")
    assert "age:6-12" in ET.fromstring(text).findtext(f"{SVG}title", "")


def test_geojson_is_valid_with_the_figures(result: GapResult, index: CommunityIndex) -> None:
    """A FeatureCollection of polygons, plain JSON, with gap figures and suppression as properties."""
    document = json.loads(json.dumps(gap_geojson(result, index, "all"), allow_nan=False))
    assert document["type"] == "FeatureCollection"
    assert len(document["features"]) == len(index)
    for feature in document["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert shape(feature["geometry"]).is_valid
    props = {f["properties"]["community"]: f["properties"] for f in document["features"]}
    assert props["A"]["gap"] > 0 and props["A"]["segment"] == "all"
    assert props["B"]["suppressed"] is True and props["B"]["gap"] is None
    assert props["B"]["homes"] == 0
    assert props["B"]["gap_class"] is None
    assert props["A"]["gap_class"] == int(GAP_CLASSES.classify([props["A"]["gap"]])[0])
    for feature in document["features"]:  # the name's point lies inside the community
        point = Point(feature["properties"]["label_at"])
        assert shape(feature["geometry"]).contains(point)
    assert len(document["features"][1]["geometry"]["coordinates"]) == 2  # the hole is kept


def _legend(root: ET.Element) -> str:
    """The legend's lines joined by ``|``."""
    return "|".join(t.text or "" for t in root.iterfind(f".//{SVG}g[@id='legend']/{SVG}text"))


def _tips(root: ET.Element) -> dict[str | None, str]:
    """Each community's tooltip by its id, whether the title is on the path or on its link."""
    tips = {}
    for path in root.iter(f"{SVG}path"):
        title = path.find(f"{SVG}title")
        if title is None:  # a linked community: the title is the link's
            link = next(a for a in root.iter(f"{SVG}a") if path in list(a))
            title = link.find(f"{SVG}title")
        assert title is not None and title.text
        tips[path.get("data-id")] = title.text
    return tips


def test_the_default_text_is_todays_english(result: GapResult, index: CommunityIndex) -> None:
    """Without a text table the map keeps its English heading, legend, tooltips and notes."""
    text = svg_map(result, index, "all")
    assert text == svg_map(result, index, "all", text=MapText())
    root = ET.fromstring(text)
    heading = root.findtext(f"{SVG}title", "")
    assert heading is not None
    assert heading.startswith(
        "Recruitment gap, all: homes needed minus homes expected (12 months from "
    )
    assert root.get("role") == "img" and root.find(f".//{SVG}a") is None
    legend = _legend(root)
    for words in (
        "Gap, all", "homes needed minus homes expected", "3 or more homes to spare",
        "1 to 2 homes to spare", "about even (0 homes short)", "21 or more homes short",
        "suppressed",
        "Grey, hatched: figures from 1 to 10", "children are not published.",
        "Hover a community for its figures.",
    ):  # fmt: skip
        assert words in legend
    assert re.search(r"\|Service level \d+%; interval \d+%\.", legend)
    tips = _tips(root)
    assert (
        tips["B"] == "Area B (B)\nsegment all: figures suppressed (1 to 10 children)\nhomes now 0"
    )
    assert re.fullmatch(
        r"Area A \(A\)\nsegment all, 12 months ahead\n"
        r"gap \+\d+\.\d homes \(interval -?\d+\.\d to \d+\.\d\)\n"
        r"need \d+\.\d homes for \d+\.\d children expected in non-kin family care\n"
        r"homes now 0, expected closures \d+\.\d, pipeline \d+\.\d\n"
        r"recruit \d+ homes \([\d-]+ inquiries\)",
        tips["A"],
    )


def test_the_default_class_labels_are_english() -> None:
    """gap_classes writes the fixed classes in English unless given another text."""
    assert gap_classes() == [
        "3 or more homes to spare", "1 to 2 homes to spare", "about even (0 homes short)",
        "1 to 2 homes short", "3 to 5 homes short", "6 to 10 homes short",
        "11 to 20 homes short", "21 or more homes short",
    ]  # fmt: skip
    assert gap_classes(SPANISH) == [
        "3 o más hogares de sobra", "de 1 a 2 hogares de sobra",
        "en equilibrio (faltan 0 hogares)", "faltan de 1 a 2 hogares",
        "faltan de 3 a 5 hogares", "faltan de 6 a 10 hogares",
        "faltan de 11 a 20 hogares", "faltan 21 o más hogares",
    ]  # fmt: skip
    assert len(gap_classes()) == len(PALETTE)


def test_a_gap_falls_in_its_fixed_class() -> None:
    """A gap is rounded to whole homes (halves up) and classed by the fixed bounds."""
    gaps = [-7.0, -2.6, -2.4, -0.6, -0.5, 0.4, 0.5, 2.4, 2.5, 5.4, 5.5, 10.4, 10.6, 20.4, 20.5]
    assert GAP_CLASSES.classify(gaps).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7]
    assert GAP_CLASSES.ranges() == [
        (None, -3), (-2, -1), (0, 0), (1, 2), (3, 5), (6, 10), (11, 20), (21, None),
    ]  # fmt: skip


def test_the_classes_do_not_move_with_the_segment(result: GapResult, index: CommunityIndex) -> None:
    """The legend's classes are the same for every segment: only the data's colours change."""

    def legend_lines(segment: str) -> list[str]:
        root = ET.fromstring(svg_map(result, index, segment))
        texts = root.findall(f".//{SVG}g[@id='legend']/{SVG}text")
        return [t.text or "" for t in texts][2 : 2 + len(PALETTE)]

    assert legend_lines("all") == legend_lines("age:13-17") == list(reversed(gap_classes()))


def test_class_bounds_must_increase() -> None:
    """Class bounds out of order are refused, naming the measure."""
    with pytest.raises(ValueError, match="class bounds of gap must increase"):
        ClassBreaks("gap", (0, 5, 2))


def test_a_spanish_text_table_makes_a_spanish_map(result: GapResult, index: CommunityIndex) -> None:
    """Heading, legend and tooltips come from the table, numbers with a decimal comma."""
    root = ET.fromstring(svg_map(result, index, "all", text=SPANISH))
    heading = root.findtext(f"{SVG}title", "")
    assert (
        heading == f"Déficit de familias, Todos los niños (a 12 meses desde el día {result.as_of})"
    )
    legend = _legend(root)
    assert legend.startswith("Déficit, Todos los niños|hogares necesarios menos hogares previstos|")
    assert "|omitido|" in legend and "|de 1 a 2 hogares de sobra|" in legend
    assert "|Gris, rayado: cifras de 1 a 10|niños no publicadas.|" in legend
    assert re.search(r"\|Nivel de servicio \d+%\.$", legend)
    tips = _tips(root)
    assert (
        tips["B"]
        == "Area B (B)\nTodos los niños: cifras omitidas (de 1 a 10 niños)\nhogares hoy: 0"
    )
    assert re.search(
        r"\ndéficit de \+\d+,\d hogares \(intervalo de -?\d+,\d a \d+,\d\)\n", tips["A"]
    )
    words = " ".join([heading, legend, *tips.values()])
    for english in ("homes", "segment", "Gap", "suppressed", "figures", "Hover", "months"):
        assert english not in words


def test_links_make_every_community_reachable_by_keyboard(
    result: GapResult, index: CommunityIndex
) -> None:
    """With ``link`` each community's shape is inside an ``<a href>`` titled with its tooltip."""
    text = svg_map(result, index, "all", link=lambda cid: f"/c/{cid}?segment=all&horizon=12")
    root = ET.fromstring(text)
    assert root.get("role") == "group"  # an image would hide its links from screen readers
    links = root.findall(f".//{SVG}g[@id='communities']/{SVG}a")
    assert len(links) == len(index)
    assert [a.get("href") for a in links] == [f"/c/{c.id}?segment=all&horizon=12" for c in index]
    for link, community in zip(links, index, strict=True):
        shapes = link.findall(f"{SVG}path")
        assert [p.get("data-id") for p in shapes] == [community.id]
        assert shapes[0].find(f"{SVG}title") is None  # one title, the link's
    assert _tips(root) == _tips(ET.fromstring(svg_map(result, index, "all")))


def test_an_empty_binding_rule_is_never_said_as_nan(
    result: GapResult, index: CommunityIndex
) -> None:
    """A pandas string column reads an empty cell as NaN, which is truthy: a community with
    nobody waiting unplaced once got "(most often: nan)" in its tooltip and table line."""
    table = result.table.copy()
    table["binding_rule"] = pd.Series([np.nan] * len(table), dtype="object")
    table["unmet_children"] = 0.0
    nan_rules = replace(result, table=table)
    svg = svg_map(nan_rules, index)
    assert "most often" not in svg and not re.search(r"\bnan\b", svg)
    assert binding_rule({"binding_rule": np.nan}) is None
    assert binding_rule({"binding_rule": "age_range"}) == "age_range"
