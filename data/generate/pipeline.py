"""The steps of :func:`generate`, in order: geography, people, homes, the simulation, the
records, and the files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from data.generate.draws import YEAR
from data.generate.families import PeopleBuilder
from data.generate.geography import build_geography
from data.generate.homes import draw_homes
from data.generate.records import collect
from data.generate.recruitment import draw_applicants, draw_partners
from data.generate.simulation import Simulation
from data.generate.summary import GenerationSummary
from data.generate.targets import (
    BURN_IN_YEARS,
    DEFAULT_AS_OF,
    ENTRIES_PER_CHILD_IN_CARE,
    SCALES,
    WINDOW_YEARS,
)
from data.generate.writers import (
    APPLICANTS_COLUMNS,
    CHILDREN_COLUMNS,
    EPISODES_COLUMNS,
    HOMES_COLUMNS,
    PARTNERS_COLUMNS,
    PLACEMENTS_COLUMNS,
    Calendar,
    write_communities,
    write_csv,
)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# Over-draw removals by this factor before thinning to the target census (safety margin
# for the stay model; the factor only costs drawing time).
_OVERDRAW = 1.5
_CHILDREN_PER_REMOVAL = 2.1  # children per first removal incl. later siblings (measured)


def generate(
    out_dir: str | Path,
    *,
    seed: int = 0,
    scale: str = "county",
    as_of: date = DEFAULT_AS_OF,
    census_day: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a synthetic agency (the import folder format) to ``out_dir``.

    Parameters
    ----------
    out_dir
        The folder to write; created when missing. Existing files of the format are replaced.
    seed
        The same seed gives byte-identical files.
    scale
        ``"county"`` (about 1,500 children in care and 1,000 open homes) or ``"state"``
        (about 50,000 and 30,000), both on the 77 community areas of Chicago.
    as_of
        "Today" in the data: the census day; history covers the five years before it.
    census_day
        Move every date so that the census day falls on this day instead: the same agency
        (the same ids, families, homes and counts; ages and days waiting as on ``as_of``),
        dated as if ``as_of`` were this day. The demo uses it to date the county today.
    progress
        Called with short messages ("simulating 2021-11…"); never with personal data.

    Returns
    -------
    GenerationSummary
        Counts per file and the state of the agency on ``as_of``.

    Raises
    ------
    ValueError
        For an unknown scale.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected one of {', '.join(sorted(SCALES))}")
    targets = SCALES[scale]
    say = progress or (lambda message: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # (a new stream is spawned last: the earlier ones, and so the county, stay as they were)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    start = _years_before(as_of, WINDOW_YEARS + BURN_IN_YEARS)
    last_day = (as_of - start).days
    window_day = (_years_before(as_of, WINDOW_YEARS) - start).days
    if census_day is not None:  # the same simulation days, on another calendar
        start, as_of = census_day - timedelta(days=last_day), census_day
    calendar = Calendar(start)

    say("drawing communities")
    geo = build_geography(streams[0], targets)
    say("drawing families and episodes")
    children_per_day = ENTRIES_PER_CHILD_IN_CARE * targets.in_care / YEAR
    family_rate = _OVERDRAW * children_per_day / _CHILDREN_PER_REMOVAL
    people = PeopleBuilder(geo, streams[1], start, last_day).build(family_rate, targets.in_care)
    say("recruiting homes")
    homes = draw_homes(geo, streams[2], targets, last_day, kin_slots=len(people.ep_family) + 64)

    def report(day: int) -> int:
        when = start + timedelta(days=day)
        say(f"simulating {when:%Y-%m}…")
        month = when.month + 2  # every three months
        return (date(when.year + month // 12, month % 12 + 1, 1) - start).days

    sim = Simulation(geo, people, homes, streams[3], last_day, report)
    sim.run()
    say("collecting records")
    records = collect(sim, geo, streams[4], calendar, window_day, streams[7])
    applicants = draw_applicants(geo, streams[5], targets, last_day)
    partners = draw_partners(geo, streams[6])

    say("writing communities.geojson")
    write_communities(out / "communities.geojson", geo)
    for name, header, rows in (
        ("homes.csv", HOMES_COLUMNS, records.homes),
        ("children.csv", CHILDREN_COLUMNS, records.children),
        ("episodes.csv", EPISODES_COLUMNS, records.episodes),
        ("placements.csv", PLACEMENTS_COLUMNS, records.placements),
    ):
        say(f"writing {name}")
        write_csv(out / name, header, rows)
    say("writing applicants.csv")
    width = max(5, len(str(len(applicants))))
    write_csv(
        out / "applicants.csv",
        APPLICANTS_COLUMNS,
        [
            [f"A{i + 1:0{width}d}", row[0], calendar.iso(int(row[1])), *row[2:]]
            for i, row in enumerate(applicants)
        ],
    )
    say("writing partners.csv")
    width = max(4, len(str(len(partners))))
    write_csv(
        out / "partners.csv",
        PARTNERS_COLUMNS,
        [[f"P{i + 1:0{width}d}", *row] for i, row in enumerate(partners)],
    )
    return GenerationSummary(
        communities=geo.n,
        homes=len(records.homes),
        homes_open=records.homes_open,
        children=len(records.children),
        children_in_care=records.in_care,
        waiting=records.waiting,
        episodes=len(records.episodes),
        placements=len(records.placements),
        applicants=len(applicants),
        partners=len(partners),
        seed=seed,
        scale=scale,
        as_of=as_of,
    )
