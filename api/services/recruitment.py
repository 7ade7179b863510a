"""From the records to the recruitment engine: tables for capacity gaps, and unmet demand.

One bulk select per table (never a query per row). Episodes are joined with their children
for the age at removal, needs, primary language and the size of the sibling group removed
together; the child's id and race never leave this module. Unmet demand is what matching
observes today: every waiting child (with their waiting siblings) is ranked, and those no
home qualifies for are counted with the rule that removed the most homes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session, col

from api.services.matching import load_matching_inputs, load_waiting_children
from api.services.offers import accepted_offers
from data.models import Applicant, Child, Community, Episode, Home, Partner, Placement
from data.queries import community_index, free_beds
from geo import CommunityIndex
from matching import Child as EngineChild
from matching import Policy, rank
from matching import load_policy as load_matching_policy
from recruitment import RecruitmentInputs

__all__ = ["RecruitmentData", "latest_record_date", "load_recruitment_inputs", "unmet_demand"]


@dataclass(frozen=True)
class RecruitmentData:
    """The engine's inputs and the communities' polygons (for maps)."""

    inputs: RecruitmentInputs
    index: CommunityIndex


def latest_record_date(session: Session) -> date | None:
    """The last date any record mentions: the default "as of" of the gaps."""
    candidates = [
        session.execute(select(func.max(column))).scalar_one()
        for column in (
            col(Episode.removed_on),
            col(Episode.discharged_on),
            col(Placement.started_on),
            col(Placement.ended_on),
            col(Applicant.stage_on),
            col(Home.licensed_on),
            col(Home.closed_on),
        )
    ]
    found = [d for d in candidates if d is not None]
    return max(found) if found else None


def _age_years(birth: pd.Series, day: pd.Series) -> pd.Series:
    birth = pd.to_datetime(birth)
    day = pd.to_datetime(day)
    years = day.dt.year - birth.dt.year
    before = (day.dt.month < birth.dt.month) | (
        (day.dt.month == birth.dt.month) & (day.dt.day < birth.dt.day)
    )
    return (years - before.astype("int64")).clip(lower=0)


def _joined(values: pd.Series) -> pd.Series:
    return values.map(lambda v: ";".join(v) if isinstance(v, list) else "")


def _episodes(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            col(Episode.removal_community_id),
            col(Episode.removed_on),
            col(Episode.discharged_on),
            col(Child.birth_date),
            col(Child.needs),
            col(Child.languages),
            col(Child.sibling_group_id),
        ).join(Child, col(Child.id) == col(Episode.child_id))
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=["community", "removed_on", "discharged_on", "birth", "needs", "langs", "group"],
    )
    # the sibling group removed together: siblings with an episode starting the same day
    together = frame.groupby(["group", "removed_on"], dropna=True)["group"].transform("size")
    return pd.DataFrame(
        {
            "community": frame["community"],
            "removed_on": frame["removed_on"],
            "discharged_on": frame["discharged_on"],
            "age": _age_years(frame["birth"], frame["removed_on"]),
            "group_size": together.fillna(1).astype("int64"),
            "needs": _joined(frame["needs"]),
            "language": frame["langs"].map(lambda v: v[0] if v else None),
        }
    )


def last_accepted(session: Session, as_of: date) -> dict[str, date]:
    """Per home: the last day up to ``as_of`` it said yes, a placement starting there or an
    offer it accepted (recruitment counts the homes that accept)."""
    out: dict[str, date] = {}
    placed = session.execute(
        select(col(Placement.home_id), func.max(col(Placement.started_on)))
        .where(col(Placement.home_id).is_not(None), col(Placement.started_on) <= as_of)
        .group_by(col(Placement.home_id))
    ).all()
    for home_id, day in placed:
        out[home_id] = day
    for home_id, day in accepted_offers(session, as_of).items():
        out[home_id] = max(day, out.get(home_id, day))
    return out


def _homes(session: Session, as_of: date) -> pd.DataFrame:
    beds = free_beds(session)
    rows = session.execute(
        select(
            col(Home.id),
            col(Home.community_id),
            col(Home.kind),
            col(Home.status),
            col(Home.capacity),
            col(Home.age_min),
            col(Home.age_max),
            col(Home.max_siblings),
            col(Home.capabilities),
            col(Home.languages),
            col(Home.licensed_on),
            col(Home.closed_on),
        )
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "community",
            "kind",
            "status",
            "capacity",
            "age_min",
            "age_max",
            "max_siblings",
            "capabilities",
            "languages",
            "licensed_on",
            "closed_on",
        ],
    )
    frame["free_beds"] = frame["id"].map(beds)
    frame["last_accepted_on"] = frame["id"].map(last_accepted(session, as_of))
    frame["capabilities"] = _joined(frame["capabilities"])
    frame["languages"] = _joined(frame["languages"])
    return frame.drop(columns=["id"])


def _applicants(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            col(Applicant.community_id),
            col(Applicant.stage),
            col(Applicant.stage_on),
            col(Applicant.interests),
            col(Applicant.languages),
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["community", "stage", "stage_on", "interests", "languages"])
    frame["interests"] = _joined(frame["interests"])
    frame["languages"] = _joined(frame["languages"])
    return frame


def _partners(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            col(Partner.id),
            col(Partner.name),
            col(Partner.kind),
            col(Partner.community_id),
            col(Partner.languages),
            col(Partner.contact),
        ).order_by(col(Partner.id))
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "name", "kind", "community", "languages", "contact"])
    frame["languages"] = _joined(frame["languages"])
    return frame


def unmet_demand(session: Session, as_of: date, policy: Policy | None = None) -> pd.DataFrame:
    """Waiting children no home qualifies for, as the engine's ``unmet`` table.

    Each waiting child is ranked with their waiting siblings (one request per group, as a
    coordinator would ask); when no home is eligible, every child of the request is a row
    with the rule that removed the most homes ("inactive" only when no other rule removed
    any, as in matching's own message).
    """
    policy = policy or load_matching_policy()
    children = load_waiting_children(session, as_of=as_of)
    columns = ["community", "age", "group_size", "needs", "language", "rule", "children"]
    if not children:
        return pd.DataFrame(columns=columns)
    inputs = load_matching_inputs(session, as_of=as_of)
    groups: dict[str, list[EngineChild]] = {}
    for child in children:
        groups.setdefault(child.sibling_group or f"child:{child.id}", []).append(child)
    rows = []
    for key in sorted(groups):
        members = groups[key]
        result = rank(members, inputs.snapshot, inputs.communities, policy, limit=0)
        if result.eligible_homes > 0:
            continue
        counts = {k: v for k, v in result.excluded.items() if v}
        pick = {k: v for k, v in counts.items() if k != "inactive"} or counts
        rule = max(sorted(pick), key=lambda k: pick[k]) if pick else "no_homes"
        for child in members:
            rows.append(
                {
                    "community": child.removal_community,
                    "age": child.age,
                    "group_size": len(members),
                    "needs": ";".join(sorted(child.needs)),
                    "language": child.languages[0] if child.languages else None,
                    "rule": rule,
                    "children": 1,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def load_recruitment_inputs(
    session: Session,
    *,
    as_of: date | None = None,
    with_unmet: bool = True,
    matching_policy: Policy | None = None,
) -> RecruitmentData:
    """The recruitment engine's inputs from the records.

    Parameters
    ----------
    as_of
        The day the figures are for; default the last date in the records.
    with_unmet
        Rank the waiting children to count unmet demand (the slow part at state scale).

    Raises
    ------
    LookupError
        The database holds no communities.
    """
    index = community_index(session)
    if index is None:
        raise LookupError("no communities in the records: import a folder first")
    as_of = as_of or latest_record_date(session) or date.today()
    communities = pd.DataFrame(
        session.execute(
            select(col(Community.id), col(Community.name), col(Community.child_population))
        ).all(),
        columns=["id", "name", "child_population"],
    )
    inputs = RecruitmentInputs.build(
        communities=communities,
        episodes=_episodes(session),
        homes=_homes(session, as_of),
        applicants=_applicants(session),
        partners=_partners(session),
        unmet=unmet_demand(session, as_of, matching_policy) if with_unmet else None,
        neighbours={c.id: index.neighbours(c.id) for c in index},
        as_of=as_of,
    )
    return RecruitmentData(inputs=inputs, index=index)
