"""Recruitment: capacity gaps per community and segment, targets, outreach and maps.

A pure analytics engine (docs/recruitment.md): it takes plain tables (pandas DataFrames with
the column contract of :mod:`recruitment.tables`) and geometry from :mod:`geo`, and never
imports the database, the web application or the matching engine. Unmet demand observed by
matching comes in as a plain table built by the service layer.

Typical use::

    policy = load_recruitment_policy()
    inputs = RecruitmentInputs.build(communities=..., episodes=..., homes=..., as_of=day,
                                     applicants=..., partners=..., unmet=..., neighbours=...)
    result = compute_gaps(inputs, policy, horizon_months=12)
    print(result.summary())                     # largest gaps first, with partners
    result.to_json(); result.to_csv("gaps.csv")
    svg = svg_map(result, index, segment="age:13-17")
    report = backtest(inputs, policy, horizon_months=12)

Exceptions: :class:`TableError` (an input table that breaks the contract) and
:class:`PolicyError` (a policy file or value), both subclasses of ``ValueError``.
"""

from recruitment.backtest import BacktestResult, backtest
from recruitment.gaps import GapResult, compute_gaps, suppress
from recruitment.maps import MapText, gap_geojson, svg_map
from recruitment.policy import PolicyError, RecruitmentPolicy, load_recruitment_policy
from recruitment.segments import Segment, parse_segment
from recruitment.supply import closure_hazard, conversion_rates
from recruitment.tables import RecruitmentInputs, TableError

__all__ = [
    "BacktestResult",
    "GapResult",
    "MapText",
    "PolicyError",
    "RecruitmentInputs",
    "RecruitmentPolicy",
    "Segment",
    "TableError",
    "backtest",
    "closure_hazard",
    "compute_gaps",
    "conversion_rates",
    "gap_geojson",
    "load_recruitment_policy",
    "parse_segment",
    "suppress",
    "svg_map",
]
