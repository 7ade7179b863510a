"""``fostermatch bench``: the speed targets (README.md, Benchmark), measured on seeded instances.

Speed is measured here and reported, never asserted by tests. Each section is present only
when the part it measures is built; a section not built yet is absent, never faked.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SECTIONS", "machine", "run_bench", "table"]


def machine() -> str:
    """A one-line description of this machine: cores, CPU, memory, Python."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text(encoding="utf-8").splitlines()[0]
        memory = f", {int(first.split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores, {cpu}{memory}, Python {platform.python_version()}"


def _rank(seed: int) -> dict[str, Any]:
    from matching.bench import ILLINOIS_BOX, time_rank

    return time_rank(50_000, 300, box=ILLINOIS_BOX, seed=seed).to_json()


def _plan(seed: int) -> dict[str, Any]:
    from matching.bench import compare_plan_greedy

    return compare_plan_greedy(10_000, 2_000, time_limit_s=10.0, seed=seed)


def _gaps(seed: int) -> dict[str, Any]:
    from recruitment.bench import bench_section

    return bench_section(seed)


def _outcomes(seed: int) -> dict[str, Any]:
    from outcomes.bench import bench_section

    return bench_section(seed)


PLAN_STATE_LIMIT_S = 60.0  # the target: a gap of 1% or better in 60 s


def _plan_state(seed: int) -> dict[str, Any]:
    """The plan for the state-scale waiting list (generated, imported, loaded as the CLI does)."""
    import tempfile
    import time

    from sqlmodel import Session

    from api.bench.http import seeded_engine
    from api.services.matching import load_matching_inputs, load_waiting_children
    from data.generate import DEFAULT_AS_OF
    from matching import load_policy, plan

    with tempfile.TemporaryDirectory(prefix="fostermatch-bench-plan-state-") as tmp:
        engine = seeded_engine(Path(tmp), "state", seed, lambda _message: None)
        try:
            started = time.perf_counter()
            with Session(engine) as session:
                children = load_waiting_children(session, as_of=DEFAULT_AS_OF)
                inputs = load_matching_inputs(session, as_of=DEFAULT_AS_OF)
            loaded = time.perf_counter() - started
            result = plan(
                children,
                inputs.snapshot,
                inputs.communities,
                load_policy(),
                time_limit_s=PLAN_STATE_LIMIT_S,
                seed=seed,
            )
        finally:
            engine.dispose()
    baseline = result.baseline or {}
    return {
        "children": len(children),
        "homes": len(inputs.snapshot),
        "runtime_s": round(result.runtime_s, 2),
        "load_s": round(loaded, 2),
        "gap": None if result.gap is None else round(result.gap, 6),
        "status": result.status,
        "placed": result.summary_figures["placed"],
        "baseline_placed": baseline.get("placed"),
    }


def _replay(seed: int) -> dict[str, Any]:
    """One year of the county's records replayed under all four policies, as ``fostermatch
    replay`` does (reading the records included)."""
    import tempfile
    import time

    from sqlmodel import Session

    from api.bench.http import seeded_engine
    from api.services.replay import last_year, run_replay
    from matching import load_policy

    with tempfile.TemporaryDirectory(prefix="fostermatch-bench-replay-") as tmp:
        engine = seeded_engine(Path(tmp), "county", seed, lambda _message: None)
        try:
            started = time.perf_counter()
            with Session(engine) as session:
                window = last_year(session)
                assert window is not None  # (the generated county has stays in care)
                result = run_replay(session, *window, load_policy(), seed=seed)
            runtime = time.perf_counter() - started
        finally:
            engine.dispose()
    return {
        "county": {
            "days": result.history.days,
            "entries": sum(1 for a in result.history.arrivals if a.entered),
            "runtime_s": round(runtime, 1),
            "policies_s": {name: round(run.runtime_s, 1) for name, run in result.runs.items()},
            "pct_of_hindsight": {
                name: result.share_of_hindsight(run) for name, run in result.runs.items()
            },
        }
    }


def _import(seed: int) -> dict[str, Any]:
    from api.bench.imports import bench_section

    return bench_section(seed)


def _http(seed: int) -> dict[str, Any]:
    from api.bench.http import bench_section

    return bench_section(seed)


SECTIONS: dict[str, Callable[[int], dict[str, Any]]] = {
    "rank": _rank,
    "plan": _plan,
    "plan_state": _plan_state,
    "gaps": _gaps,
    "outcomes": _outcomes,
    "http": _http,
    "import": _import,
    "replay": _replay,
}
# the key of a section in the benchmark JSON, where it differs from the section's name
KEYS = {"http": "api_matches"}


def run_bench(
    sections: list[str] | None = None,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the chosen sections (all by default) and return the benchmark JSON."""
    chosen = sections or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown bench section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    out: dict[str, Any] = {"machine": machine()}
    for name in chosen:
        if progress:
            progress(f"measuring {name}")
        for key, figures in _section(name, SECTIONS[name](seed)).items():
            # sections may share a key ("import.hostile", "import.state"): merge one level
            merged = out.get(key)
            out[key] = {**merged, **figures} if isinstance(merged, dict) else figures
    return out


def _section(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    # the plan section yields two keys of the JSON: "plan" and "plan_vs_greedy"
    return figures if name == "plan" else {KEYS.get(name, name): figures}


def _plan_lines(name: str, planned: dict[str, Any]) -> list[str]:
    """A plan section's size, runtime, status and gap, as table lines."""
    gap = "n/a" if planned["gap"] is None else f"{planned['gap']:.2%}"
    size = f"{planned['children']:>6,} x {planned['homes']:>6,}"
    return [
        f"{name + ': children x homes':<40} {size}",
        f"{name + ': runtime s':<40} {planned['runtime_s']:>14.2f}",
        f"{name + ': status':<40} {planned['status']:>14}",
        f"{name + ': proven gap (score stage)':<40} {gap:>14}",
    ]


def table(results: dict[str, Any]) -> str:
    """The benchmark as a readable table."""
    lines = [f"machine: {results['machine']}", "", f"{'measure':<40} {'value':>14}"]
    rank = results.get("rank")
    if rank:
        lines += [
            f"{'rank: homes':<40} {rank['homes']:>14,}",
            f"{'rank: requests':<40} {rank['requests']:>14,}",
            f"{'rank: median ms':<40} {rank['median_ms']:>14.2f}",
            f"{'rank: p95 ms':<40} {rank['p95_ms']:>14.2f}",
            f"{'rank: mean eligible homes':<40} {rank['mean_candidates']:>14.1f}",
            f"{'rank: snapshot build s':<40} {rank['snapshot_build_s']:>14.2f}",
        ]
    for name in ("plan", "plan_state"):
        planned = results.get(name)
        if planned:
            lines += _plan_lines(name, planned)
    state = results.get("plan_state")
    if state:
        placed = f"{state['placed']} ({state['baseline_placed']})"
        lines.append(f"{'plan_state: placed (baseline)':<40} {placed:>14}")
    versus = results.get("plan_vs_greedy")
    if versus:
        lines += ["", f"{'plan vs greedy':<28} {'plan':>12} {'greedy':>12}"]
        for key in versus["plan"]:
            lines.append(f"{key:<28} {versus['plan'][key]!s:>12} {versus['greedy'][key]!s:>12}")
    gaps = results.get("gaps")
    if gaps:
        from recruitment.bench import table_lines

        lines += ["", *table_lines(gaps)]
    outcomes = results.get("outcomes")
    if outcomes:
        lines += [
            "",
            f"{'outcomes: placements':<40} {outcomes['placements']:>14,}",
            f"{'outcomes: runtime s':<40} {outcomes['runtime_s']:>14.2f}",
        ]
    imports = results.get("import")
    if imports:
        from api.bench.imports import table_lines as import_lines

        lines += ["", *import_lines(imports)]
    replayed = results.get("replay")
    if replayed:
        county = replayed["county"]
        lines += [
            "",
            f"{'replay county: days':<40} {county['days']:>14,}",
            f"{'replay county: runtime s':<40} {county['runtime_s']:>14.1f}",
        ]
        for name, seconds in county["policies_s"].items():
            share = county["pct_of_hindsight"].get(name)
            shown = "n/a" if share is None else f"{share}%"
            lines.append(
                f"{'replay county: ' + name + ' s (of optimum)':<40} {seconds:>6.1f} {shown:>7}"
            )
    api_matches = results.get("api_matches")
    if api_matches:
        lines += [""]
        for scale, figures in api_matches.items():
            lines += [
                f"{'POST /v1/matches ' + scale + ': homes':<40} {figures['homes']:>14,}",
                f"{'POST /v1/matches ' + scale + ': p50 ms':<40} {figures['p50_ms']:>14.2f}",
                f"{'POST /v1/matches ' + scale + ': p95 ms':<40} {figures['p95_ms']:>14.2f}",
            ]
    return "\n".join(lines)
