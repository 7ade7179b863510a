"""The small agency: three square communities and a handful of records, as files and as a zip."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path


def _square(x0: float, y0: float, size: float = 0.05) -> dict[str, object]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


SMALL_COMMUNITIES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "1", "name": "Northside", "child_population": 5000},
            "geometry": _square(-87.70, 41.90),
        },
        {
            "type": "Feature",
            "properties": {"id": "2", "name": "Southside", "child_population": 8000},
            "geometry": _square(-87.70, 41.85),
        },
        {
            "type": "Feature",
            "properties": {"id": "3", "name": "Westside", "child_population": None},
            "geometry": _square(-87.75, 41.85),
        },
    ],
}

# A small agency: two homes, a sibling group of two (one placed with kin, one in shelter),
# a child who went home, an applicant and a partner. Points: (41.87, -87.68) is Southside,
# (41.92, -87.66) Northside, (41.86, -87.72) Westside.
SMALL_FILES = {
    "homes.csv": """\
id,kind,status,latitude,longitude,capacity,age_min,age_max,accepts_sex,max_siblings,capabilities,languages,religion,cultural_offers,tribe,tribe_licensed,kin_of,kin_relationship,licensed_on,closed_on,closed_reason
H1,foster,active,41.92,-87.66,3,0,12,any,3,medical;infant,en;es,,halal diet,,no,,,2023-01-02,,
H2,kin,active,41.87,-87.68,2,,,,,,en,,,,,C1;C2,maternal aunt,2024-01-02,,
H3,foster,closed,41.86,-87.72,1,10,17,female,1,,en,,,,,,,2022-05-01,2023-02-01,voluntary
""",
    "children.csv": """\
id,birth_date,sex,race,hispanic,languages,religion,cultural_needs,tribe,icwa,needs,sibling_group,separate_from,excluded_homes,school_latitude,school_longitude
C1,2015-03-04,female,black,no,en,,,,no,,G1,,,41.871,-87.681
C2,2017-06-30,male,black;white,no,en;es,,,,no,medical,G1,,H3,,
C3,2012-11-11,female,white,yes,es,,,,no,,,,,,
""",
    "episodes.csv": """\
child_id,removed_on,removal_latitude,removal_longitude,discharged_on,discharge_reason
C1,2024-01-01,41.87,-87.68,,
C2,2024-01-01,41.87,-87.68,,
C3,2022-06-01,41.86,-87.72,2023-01-15,reunification
""",
    "placements.csv": """\
child_id,setting,home_id,started_on,ended_on,end_reason
C1,shelter,,2024-01-01,2024-01-02,move
C1,kin_home,H2,2024-01-02,,
C2,shelter,,2024-01-01,,
C3,foster_home,H3,2022-06-01,2023-01-15,discharge
""",
    "applicants.csv": """\
id,stage,stage_on,latitude,longitude,interests,languages
A1,training,2026-09-01,41.92,-87.67,teens;siblings,en;es
A2,inquiry,2026-10-01,,,,
""",
    "partners.csv": """\
id,name,kind,latitude,longitude,languages,contact
P1,"Southside Family Center, Inc.",community_centre,41.87,-87.67,en;es,info@southside.example.org
""",
}


def write_small_folder(folder: Path, **replace: str) -> Path:
    """Write the small agency to ``folder``; ``replace`` swaps whole files (e.g. homes_csv=...)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "communities.geojson").write_text(json.dumps(SMALL_COMMUNITIES), encoding="utf-8")
    for name, text_ in SMALL_FILES.items():
        text_ = replace.get(name.replace(".", "_"), text_)
        (folder / name).write_text(text_, encoding="utf-8")
    return folder


def small_zip() -> bytes:
    """The small agency's folder as a zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("communities.geojson", json.dumps(SMALL_COMMUNITIES))
        for name, text in SMALL_FILES.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# a fourth community, east of the small agency's three, as a record body
COMMUNITY = {
    "name": "Eastside",
    "child_population": 100,
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[-87.65, 41.9], [-87.6, 41.9], [-87.6, 41.95], [-87.65, 41.95], [-87.65, 41.9]]
        ],
    },
}
