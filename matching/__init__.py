"""The matching engine: eligibility rules, scoring factors and ranked, explained matches.

A pure engine: it takes plain, typed inputs (:class:`Child`, :class:`Home`,
:class:`Communities`, a columnar :class:`HomeSnapshot` and a :class:`Policy`) and returns
plain results. It never imports the database or the web application; the service layer in
``api/`` builds its inputs from the records.

Typical use::

    policy = load_policy()
    snapshot = HomeSnapshot(homes, as_of=today)        # once, reused across requests
    result = rank([child], snapshot, communities, policy, limit=10)
    print(result.summary())
    result.to_json()                                    # the JSON of README, "Ranked matches"

    placement = plan(waiting, snapshot, communities, policy, time_limit_s=10, seed=0)
    assert not validate(waiting, snapshot, communities, policy, placement)
    baseline = greedy(waiting, snapshot, communities, policy)   # today's practice

Exceptions: :class:`InputError` (a child, home or community that cannot be used) and
:class:`PolicyError` (a policy file or value), both subclasses of ``ValueError``.
"""

from matching.eligibility import Eligibility, eligibility
from matching.factors import FACTORS, Factor, Scores, factor_named, score
from matching.greedy import greedy
from matching.inputs import Child, Communities, Decline, Home, InputError, PlacedSibling
from matching.languages import language_name
from matching.near_miss import NearMiss
from matching.pairing import Pairing
from matching.plan import plan
from matching.plan_result import Assignment, PlanResult, Unplaced
from matching.policy import Policy, PolicyError, Weights, load_policy
from matching.rank import rank
from matching.rank_result import Candidate, FactorScore, RankResult, Waiting
from matching.request import Context, PlacementRequest
from matching.rules import RULES, HardRule, rule_named
from matching.snapshot import HomeSnapshot
from matching.validate import Violation, validate

__all__ = [
    "FACTORS",
    "RULES",
    "Assignment",
    "Candidate",
    "Child",
    "Communities",
    "Context",
    "Decline",
    "Eligibility",
    "Factor",
    "FactorScore",
    "HardRule",
    "Home",
    "HomeSnapshot",
    "InputError",
    "NearMiss",
    "Pairing",
    "PlacedSibling",
    "PlacementRequest",
    "PlanResult",
    "Policy",
    "PolicyError",
    "RankResult",
    "Scores",
    "Unplaced",
    "Violation",
    "Waiting",
    "Weights",
    "eligibility",
    "factor_named",
    "greedy",
    "language_name",
    "load_policy",
    "plan",
    "rank",
    "rule_named",
    "score",
    "validate",
]
