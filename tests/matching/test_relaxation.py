"""The linear relaxation read from a CP-SAT model (the plan's warm start)."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from matching.relaxation import relaxed_values


def test_an_assignment_relaxes_to_its_integral_optimum() -> None:
    """Two children, two homes: the relaxation of an assignment problem is its optimum."""
    model = cp_model.CpModel()
    x = {(c, h): model.new_bool_var(f"x{c}{h}") for c in range(2) for h in range(2)}
    for c in range(2):
        model.add_at_most_one(x[c, h] for h in range(2))
    for h in range(2):
        model.add(sum(x[c, h] for c in range(2)) <= 1)
    points = {(0, 0): 5, (0, 1): 4, (1, 0): 4, (1, 1): 1}
    model.maximize(sum(points[k] * v for k, v in x.items()))
    values = relaxed_values(model)
    assert values is not None
    chosen = {k for k, v in x.items() if values[v.index] > 0.5}
    assert chosen == {(0, 1), (1, 0)}  # 8 points, not 5 + 1


def test_implications_negations_and_exactly_one_are_kept() -> None:
    """Each kind of row binds: without it the objective would gain a point, with it none."""
    model = cp_model.CpModel()
    a, b, c, d, e, f = (model.new_bool_var(n) for n in "abcdef")
    model.add_implication(a, b)  # a <= b
    model.add_exactly_one([~c, d])  # (1 - c) + d == 1, so d == c
    model.add(e + ~f >= 1)  # e + (1 - f) >= 1, so f <= e
    model.maximize((a - 2 * b) + (d - 2 * c) + (f - 2 * e))
    values = relaxed_values(model)
    assert values is not None
    assert np.allclose(values, 0.0)


def test_enforced_constraints_are_left_out() -> None:
    """A constraint enforced by a literal is dropped: the relaxation never cuts a solution off."""
    model = cp_model.CpModel()
    a, b = model.new_bool_var("a"), model.new_bool_var("b")
    model.add(a + b <= 0).only_enforce_if(a)  # a makes itself impossible
    model.maximize(a + b)
    values = relaxed_values(model)
    assert values is not None and values[a.index] == 1.0 and values[b.index] == 1.0


def test_an_infeasible_relaxation_gives_none() -> None:
    """No value when the linear rows contradict each other."""
    model = cp_model.CpModel()
    a = model.new_bool_var("a")
    model.add(a >= 1)
    model.add(a <= 0)
    model.maximize(a)
    assert relaxed_values(model) is None
