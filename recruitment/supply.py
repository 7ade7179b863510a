"""Supply: the homes there are, those expected to close, and those in the pipeline.

Only non-kin family homes (foster, therapeutic, pre-adoptive) are supply: a kin home is
approved for its own relatives, so recruiting is not how kin beds are found.

* **Open homes** on ``as_of``: licensed by then and not closed by then (a home marked closed
  without a closing date counts as closed). On hold counts as open: the usable share ``u`` of
  the policy accounts for homes not accepting.
* **Closure hazard by tenure**: yearly closure rates per whole year since licensing, from the
  homes' history in the window (left-truncated at its start, censored at ``as_of``); a home
  of tenure ``t`` closes within the horizon with ``1 - exp(-integral of the rate)``.
* **Stage conversion** of applicants: the chance of moving on from each stage, estimated by
  maximum likelihood from the stage every applicant is at (applicants still at a stage are
  censored there). Where a withdrawal's stage is not recorded it is shared among the stages
  in proportion to the applicants waiting at each (see :func:`conversion_rates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recruitment.policy import RecruitmentPolicy
from recruitment.segments import DIMENSIONS, Segment, has_code
from recruitment.stats import piecewise_hazard, survival_between
from recruitment.tables import PIPELINE_STAGES, RecruitmentInputs

__all__ = [
    "ACCEPTING_DAYS",
    "NON_KIN_KINDS",
    "Supply",
    "closure_hazard",
    "conversion_rates",
    "project_supply",
]

FloatArray = NDArray[np.float64]
NON_KIN_KINDS = ("foster", "therapeutic", "pre_adoptive")
DAYS_PER_YEAR = 365.25
# a home that took a placement or accepted an offer in this many days is accepting supply
ACCEPTING_DAYS = 365
_STEPS = PIPELINE_STAGES[:4]  # stages one moves on from: inquiry .. home_study


def open_on(homes: pd.DataFrame, day: pd.Timestamp) -> NDArray[np.bool_]:
    """Which homes are open (licensed, not closed) on ``day``."""
    licensed = homes["licensed_on"].isna() | (homes["licensed_on"] <= day)
    not_closed = np.where(
        homes["closed_on"].isna(), homes["status"] != "closed", homes["closed_on"] > day
    )
    return np.asarray(licensed.to_numpy() & not_closed, dtype=bool)


def closure_hazard(
    homes: pd.DataFrame, as_of: pd.Timestamp, window_years: int, bands: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Yearly closure rates by whole year of tenure, from the homes' licence history.

    Parameters
    ----------
    homes
        Homes with ``licensed_on`` and ``closed_on`` (homes without a licence date are left
        out: their tenure is unknown).
    as_of
        Closures after this day are not known yet.
    window_years
        The history looked at: tenure before the window's start is not at risk (left
        truncation), so homes closed before it, and missing from the records, bias nothing.
    bands
        Tenure years with their own rate; the last is open-ended.

    Returns
    -------
    (rates, closures, home_years)
        Per band.
    """
    start = as_of - pd.Timedelta(days=window_years * DAYS_PER_YEAR)
    h = homes.loc[homes["licensed_on"].notna() & (homes["licensed_on"] <= as_of)]
    closed = h["closed_on"].notna() & (h["closed_on"] <= as_of)
    end = h["closed_on"].where(closed, as_of)
    keep = (end >= start).to_numpy()
    licensed = h["licensed_on"]
    entry = ((start - licensed).dt.days / DAYS_PER_YEAR).clip(lower=0.0).to_numpy()
    exit_ = ((end - licensed).dt.days / DAYS_PER_YEAR).clip(lower=0.0).to_numpy()
    return piecewise_hazard(entry[keep], exit_[keep], closed.to_numpy()[keep], bands)


def conversion_rates(stages: pd.Series, withdrawn_from: pd.Series | None = None) -> FloatArray:
    """The chance of moving on from each stage (inquiry, application, training, home study).

    Parameters
    ----------
    stages
        Each applicant's current stage (``inquiry`` .. ``licensed``, or ``withdrawn``).
    withdrawn_from
        For withdrawn applicants, the stage they left from when known (else empty).

    Returns
    -------
    numpy.ndarray
        Four probabilities; their product is the chance an inquiry ends in a licence. A stage
        nobody has finished yet has no estimate: NaN.

    Notes
    -----
    An applicant at stage ``k`` reached every stage up to ``k`` and has not finished ``k``
    (censored: not counted at ``k``); a licensed one moved on from every stage; a withdrawn
    one moved on up to the stage they withdrew from, and not from it. So
    ``c_k = moved on from k / (moved on from k + withdrew at k)``.

    The records keep only the current stage, so the stage a withdrawal left from is usually
    unknown, and the current stages alone cannot tell it (withdrawing late and early fit them
    equally well). The assumption made: people leave from where they wait, so such
    withdrawals are shared among the stages in proportion to the applicants now at each. Give
    ``withdrawn_from`` when the case system records it.
    """
    values = stages.astype("str").to_numpy()
    at = np.array([(values == s).sum() for s in PIPELINE_STAGES], dtype=np.float64)
    known = np.zeros(4)
    unknown = 0.0
    withdrawn = values == "withdrawn"
    if withdrawn_from is not None:
        origin = withdrawn_from.astype("str").to_numpy()
        for k, s in enumerate(_STEPS):
            known[k] = float((withdrawn & (origin == s)).sum())
        unknown = float(withdrawn.sum() - known.sum())
    else:
        unknown = float(withdrawn.sum())
    licensed = at[4]
    # people leave from where they wait: unknown-stage withdrawals are shared among the
    # stages in proportion to the applicants waiting at each (all at inquiry when none wait)
    waiting = at[:4]
    share = waiting / waiting.sum() if waiting.sum() > 0 else np.array([1.0, 0.0, 0.0, 0.0])
    quit_at = known + unknown * share
    # moved on from k: everyone seen at a later stage, licensed, or withdrawn from a later one
    moved = np.array([at[k + 1 : 4].sum() + licensed + quit_at[k + 1 :].sum() for k in range(4)])
    finished = moved + quit_at
    rates = np.divide(moved, finished, out=np.ones(4), where=finished > 0)
    return np.where(finished > 0, rates, np.nan)


def _applicant_segments(
    applicants: pd.DataFrame, interests: dict[str, tuple[str, ...]]
) -> dict[str, NDArray[np.bool_]]:
    """For each segment value named by the interest map: the applicants who would take it.

    Also ``"<dimension>:*"``: applicants who named no interest of that dimension (open to all).
    """
    out: dict[str, NDArray[np.bool_]] = {}
    named_dim = {d: np.zeros(len(applicants), dtype=bool) for d in DIMENSIONS}
    for interest, values in interests.items():
        has = has_code(applicants["interests"], interest)
        for value in values:
            out[value] = out.get(value, np.zeros(len(applicants), dtype=bool)) | has
            named_dim[value.partition(":")[0]] |= has
    for dimension, named in named_dim.items():
        out[f"{dimension}:*"] = ~named
    return out


@dataclass(frozen=True)
class Supply:
    """Homes, their expected closures and the applicant pipeline, for segment queries.

    Attributes
    ----------
    homes
        Open non-kin homes on ``as_of`` with ``code`` (community index), ``close_p`` (chance
        of closing within the horizon) and ``accepting`` (said yes, a placement or an
        accepted offer, in the :data:`ACCEPTING_DAYS` before ``as_of``).
    applicants
        Applicants in progress with ``code`` and ``licence_p`` (chance of a licence).
    closure_rates, conversion
        The estimates (per tenure year; per stage).
    parameters
        The estimates as plain values for reports.
    """

    homes: pd.DataFrame
    applicants: pd.DataFrame
    applicant_segments: dict[str, NDArray[np.bool_]]
    closure_rates: FloatArray
    conversion: FloatArray
    parameters: dict[str, Any]
    n_communities: int

    @property
    def inquiry_to_licence(self) -> float:
        return float(np.prod(self.conversion))

    def _sum(self, codes: NDArray[np.int64], values: FloatArray) -> FloatArray:
        ok = codes >= 0
        summed = np.bincount(codes[ok], weights=values[ok], minlength=self.n_communities)
        return np.asarray(summed, dtype=np.float64)

    def figures(self, segment: Segment, min_beds: int = 1) -> dict[str, FloatArray]:
        """Per community: homes, free beds, expected closures, pipeline, and variances.

        ``min_beds`` > 1 counts only homes with that many beds and a sibling limit that
        allows it (a capacity tier); the pipeline is left out of tiers (applicants' beds are
        not known).
        """
        h = self.homes
        mask = segment.homes(h)
        if min_beds > 1:
            mask &= (h["capacity"] >= min_beds).to_numpy()
            mask &= (h["max_siblings"].fillna(99) >= min_beds).to_numpy()
        codes = h["code"].to_numpy()[mask]
        p = h["close_p"].to_numpy()[mask]
        out = {
            "homes": self._sum(codes, np.ones(len(codes))),
            "accepting": self._sum(codes, h["accepting"].to_numpy(dtype=np.float64)[mask]),
            "free_beds": self._sum(codes, h["free_beds"].fillna(0).to_numpy()[mask]),
            "closures": self._sum(codes, p),
            "variance": self._sum(codes, p * (1 - p)),
        }
        if min_beds > 1:
            out["pipeline"] = np.zeros(self.n_communities)
            return out
        a = self.applicants
        take = np.ones(len(a), dtype=bool)
        for dimension in DIMENSIONS:
            value = getattr(segment, dimension)
            if value is None:
                continue
            key = f"{dimension}:{value}"
            if dimension == "language":
                take &= has_code(a["languages"], value)
            else:
                named = self.applicant_segments.get(key, np.zeros(len(a), dtype=bool))
                # no age named: any age; but a group or a need takes room or skills the
                # applicant must have said they offer
                if dimension == "age" or key in ("siblings:1", "needs:none"):
                    named = named | self.applicant_segments[f"{dimension}:*"]
                take &= named
        q = a["licence_p"].to_numpy()[take]
        codes = a["code"].to_numpy()[take]
        out["pipeline"] = self._sum(codes, q)
        out["variance"] = out["variance"] + self._sum(codes, q * (1 - q))
        return out


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def project_supply(
    inputs: RecruitmentInputs, policy: RecruitmentPolicy, horizon_months: int
) -> Supply:
    """Open non-kin homes with their closure chances, and the weighted applicant pipeline."""
    as_of = pd.Timestamp(inputs.as_of)
    homes = inputs.homes
    non_kin = homes["kind"].isin(NON_KIN_KINDS).to_numpy()
    rates, closures, exposure = closure_hazard(
        homes.loc[non_kin], as_of, policy.history_years, policy.tenure_years
    )
    open_ = homes.loc[non_kin & open_on(homes, as_of)].copy()
    tenure = ((as_of - open_["licensed_on"]).dt.days / DAYS_PER_YEAR).fillna(0.0).clip(lower=0.0)
    open_["close_p"] = 1.0 - survival_between(rates, tenure.to_numpy(), horizon_months / 12.0)
    open_["code"] = inputs.community_codes(open_["community"])
    said_yes = open_["last_accepted_on"]
    open_["accepting"] = (said_yes > as_of - pd.Timedelta(days=ACCEPTING_DAYS)) & (
        said_yes <= as_of
    )

    applicants = inputs.applicants.loc[inputs.applicants["stage_on"] <= as_of]
    conversion = conversion_rates(applicants["stage"], applicants["withdrawn_from"])
    # chance of a licence from each stage onwards; licensed applicants are homes already
    from_stage = {s: float(np.prod(conversion[k:])) for k, s in enumerate(_STEPS)}
    waiting = applicants.loc[applicants["stage"].isin(_STEPS)].copy()
    # a stage without an estimate promises nothing: its applicants are not counted
    waiting["licence_p"] = waiting["stage"].map(from_stage).astype("float64").fillna(0.0)
    waiting["code"] = inputs.community_codes(waiting["community"])
    waiting = waiting.reset_index(drop=True)
    parameters: dict[str, Any] = {
        "closure_rate_by_tenure_year": [round(float(r), 4) for r in rates],
        "closures_seen": int(closures.sum()),
        "home_years_seen": round(float(exposure.sum()), 1),
        "conversion": {s: _rounded(c) for s, c in zip(_STEPS, conversion, strict=True)},
        "inquiry_to_licence": _rounded(float(np.prod(conversion))),
    }
    return Supply(
        homes=open_.reset_index(drop=True),
        applicants=waiting,
        applicant_segments=_applicant_segments(waiting, dict(policy.interests)),
        closure_rates=rates,
        conversion=conversion,
        parameters=parameters,
        n_communities=inputs.n_communities,
    )
