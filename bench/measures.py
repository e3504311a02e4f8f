"""Benchmark: what asking for measure values adds to the daily reminder plan.

One SQLite database seeded by ``bench/reminders.py``'s ``seed`` (1,000 teams x 100
open commitments, and 3 joint measures per team: monthly, weekly, quarterly, a year of
values each, last month's missing so that 1,000 values are asked for). It plans the
Monday 09:00 sweep with the measure values (nudge inputs, late values in digests) and,
as the floor, the same sweep with the measure step left out, interleaved, and prints
CPU seconds (least of ``--runs``) and their ratio: CPU time, because wall-clock time on
a shared machine swings with its load.

    python bench/measures.py [--teams 1000] [--runs 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import commands.reminders as reminders  # noqa: E402
from bench import reminders as seeding  # noqa: E402
from storage.database import Database  # noqa: E402


def _no_measures(*args: Any, **kwargs: Any) -> dict[int, list[Any]]:
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    asking = reminders._measure_values_asked
    times: dict[str, list[float]] = {"with measure values": [], "floor (without)": []}
    asked = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        try:
            seeding.seed(db, args.teams)
            for _ in range(args.runs):
                for label, step in (
                    ("with measure values", asking),
                    ("floor (without)", _no_measures),
                ):
                    reminders._measure_values_asked = step  # type: ignore[assignment]
                    with db.uow() as uow:
                        t0 = time.process_time()
                        plan = reminders.plan_sweep(uow.session, now=seeding.NOW)
                        times[label].append(time.process_time() - t0)
                        if step is asking:
                            asked = sum(
                                1
                                for o in plan.outgoing
                                if o.kind == reminders.NUDGE
                                for r in o.refs
                                if r.startswith("M-")
                            )
                    del plan
        finally:
            reminders._measure_values_asked = asking  # type: ignore[assignment]
            db.dispose()
    best = {k: min(v) for k, v in times.items()}
    for label, value in best.items():
        print(f"{label:<22} {value:.2f} s CPU (least of {args.runs})")
    print(
        f"{args.teams} teams, {seeding.MEASURES} measures each, {asked} values asked; "
        f"ratio {best['with measure values'] / best['floor (without)']:.2f}"
    )


if __name__ == "__main__":
    main()
