"""Replay: what would have happened on the agency's own history under each matching policy.

A pure engine beside ``matching`` (it imports ``matching``, ``outcomes`` for the measure
definitions, ``geo`` and ``core``; never the database or the web application). The service
layer builds a :class:`History` from the records (``api/services/replay.py``); :func:`replay`
walks it day by day under each policy (``greedy``, ``rank``, ``plan``) with the engine's own
rules and scores, solves the ``hindsight`` optimum over the whole window, and returns a
:class:`ReplayResult` with the metrics of each policy and of the recorded history.

Typical use::

    result = replay(history, load_policy(), ("greedy", "plan", "hindsight"), recorded=placed)
    print(result.summary())
    result.to_json()            # the replay JSON (docs/replay.md)
"""

from replay.hindsight import Optimum, hindsight
from replay.history import Arrival, History, ReplayHome, Resident
from replay.metrics import DEFINITIONS, METRICS, metrics, waiting_each_day
from replay.objective import day_cost, family_credit, objective, stay_value
from replay.run import ASSUMPTIONS, POLICIES, ReplayResult, Run, UnknownPolicy, replay, simulate
from replay.world import Stay, World

__all__ = [
    "ASSUMPTIONS",
    "DEFINITIONS",
    "METRICS",
    "POLICIES",
    "Arrival",
    "History",
    "Optimum",
    "ReplayHome",
    "ReplayResult",
    "Resident",
    "Run",
    "Stay",
    "UnknownPolicy",
    "World",
    "day_cost",
    "family_credit",
    "hindsight",
    "metrics",
    "objective",
    "replay",
    "simulate",
    "stay_value",
    "waiting_each_day",
]
