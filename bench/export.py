"""Benchmark: the weekly summary export of a large team, against bare openpyxl.

What it measures, on SQLite (a temporary file):

- a team with 10,000 commitments and 2,000 decisions (all 2,000 logged in the
  week; about 40% of the commitments open, a third of those overdue, the rest
  done or cancelled, spread over two months), 200 risks and 100 ownership areas,
  bulk-seeded;
- **export seconds**: ``integrations.spreadsheet.export_week`` end to end, as the
  CLI, the download link and the weekly post run it: the figures' queries, the
  streamed row queries, and the styled, safe, write-only workbook (tables,
  conditional formatting, chart, hyperlinks) saved to memory. CPU seconds
  (``time.process_time``), the least of 5 runs interleaved with the bare runs;
  one run's wall-clock time is printed too;
- **peak memory**: the peak of Python allocations during one export, by
  ``tracemalloc`` (a separate run, because tracing slows everything down), for
  the full team and for a team a quarter of its size, to show that memory does
  not grow with the number of rows (write-only mode streams rows to disk);
- **bare openpyxl**: writing the same cells (the same values, row for row, in
  six write-only sheets, no styles, tables, formatting or chart, no text
  cleaning) with ``Workbook(write_only=True)``, from rows already in memory (no
  database work). A source-message cell is a hyperlink cell there too, written
  the way openpyxl writes one (``WriteOnlyCell`` with ``.hyperlink``), because a
  hyperlink is part of the cell; that costs openpyxl about 40 µs a link, so the
  ratio against plain values with the URL as text is printed as well;
- **ratio** = export seconds / bare seconds. Target: at most 1.5.

Run: ``python bench/export.py`` (from the repository root).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from commands.weekly import IsoWeek, load_report  # noqa: E402
from integrations.spreadsheet import export_week  # noqa: E402
from integrations.spreadsheet.workbook import (  # noqa: E402
    COMMITMENTS,
    DECISIONS,
    OVERDUE,
    OWNERSHIP,
    RISKS,
)
from storage.database import Database  # noqa: E402
from storage.models import (  # noqa: E402
    Area,
    AreaRole,
    Commitment,
    Decision,
    Department,
    Person,
    Risk,
    Team,
    TeamMember,
)
from storage.teams import create_team  # noqa: E402

WEEK = IsoWeek(2026, 47)
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
WORDS = (
    "send draft DPIA data sharing agreement caseload extract housing police health council "
    "review budget analyst venue referral pathway outreach partners board paper figures"
).split()


def seed(db: Database, *, commitments: int, decisions: int, seed_value: int = 7) -> int:
    rng = random.Random(seed_value)
    start, _ = WEEK.bounds("Europe/London")

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()

    with db.uow() as uow:
        s = uow.session
        team = create_team(s, "Bench Team")
        depts = [Department(name=n, key=n.lower()) for n in ("Housing", "Health", "Police")]
        s.add_all(depts)
        s.flush()
        people = [
            Person(
                display_name=f"Person {i}", email=f"p{i}@x.example", department_id=depts[i % 3].id
            )
            for i in range(60)
        ]
        s.add_all(people)
        s.flush()
        s.add_all(TeamMember(team_id=team.id, person_id=p.id) for p in people)
        ids = [p.id for p in people]
        dept_of = {p.id: p.department_id for p in people}

        rows: list[dict[str, Any]] = []
        for n in range(1, decisions + 1):
            who = rng.choice(ids)
            rows.append(
                {
                    "team_id": team.id,
                    "number": n,
                    "text": text(12),
                    "rationale": text(10) if n % 2 else None,
                    "decided_by_id": who,
                    "department_id": dept_of[who],
                    "status": "active",
                    "source_link": f"https://example.slack.com/archives/C1/p{n:016d}",
                    "created_at": start + dt.timedelta(seconds=rng.randrange(7 * 86400)),
                }
            )
        s.execute(insert(Decision), rows)

        rows = []
        for n in range(1, commitments + 1):
            owner = rng.choice(ids)
            created = start + dt.timedelta(seconds=rng.randrange(-56 * 86400, 7 * 86400))
            due = (created + dt.timedelta(days=rng.randrange(0, 21))).date()
            roll = rng.random()
            status = "open" if roll < 0.37 else "blocked" if roll < 0.40 else "done"
            status = "cancelled" if 0.95 < roll else status
            done_at = (
                created + dt.timedelta(days=rng.randrange(0, 20)) if status == "done" else None
            )
            rows.append(
                {
                    "team_id": team.id,
                    "number": n,
                    "text": text(14),
                    "owner_id": owner,
                    "department_id": dept_of[owner],
                    "created_by_id": rng.choice(ids),
                    "due_date": due if n % 10 else None,
                    "status": status,
                    "blocked_reason": "waiting" if status == "blocked" else None,
                    "done_at": done_at,
                    "escalated_at": created + dt.timedelta(days=5) if n % 17 == 0 else None,
                    "source_link": f"https://teams.microsoft.com/l/message/{n}" if n % 3 else None,
                    "created_at": created,
                    "updated_at": done_at or created,
                }
            )
        s.execute(insert(Commitment), rows)
        s.execute(
            insert(Risk),
            [
                {
                    "team_id": team.id,
                    "number": n,
                    "text": text(10),
                    "impact": rng.choice(("low", "medium", "high")),
                    "likelihood": rng.choice(("low", "medium", "high")),
                    "owner_id": rng.choice(ids),
                    "created_by_id": rng.choice(ids),
                    "status": rng.choice(("open", "open", "closed")),
                    "created_at": start,
                }
                for n in range(1, 201)
            ],
        )
        areas = [
            Area(team_id=team.id, name=f"Area {n} {text(2)}", key=f"area {n}") for n in range(100)
        ]
        s.add_all(areas)
        s.flush()
        s.execute(
            insert(AreaRole),
            [
                {"area_id": a.id, "person_id": rng.choice(ids), "role": role, "created_at": start}
                for a in areas
                for role in ("responsible", "accountable", "consulted", "informed")
            ],
        )
        uow.commit()
        return team.id


def bare_rows(db: Database, team_id: int) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The same cells as the export's data sheets and summary, as plain values in memory."""
    with db.uow() as uow:
        team = uow.session.get(Team, team_id)
        assert team is not None
        report = load_report(uow.session, team, WEEK, now=NOW)
        sheets = [
            ("Decisions", [c.header for c in DECISIONS], [list(r) for r in report.decisions()]),
            (
                "Commitments",
                [c.header for c in COMMITMENTS],
                [list(r) for r in report.commitments()],
            ),
            ("Overdue", [c.header for c in OVERDUE], [list(r) for r in report.overdue()]),
            ("Risks", [c.header for c in RISKS], [list(r) for r in report.risks()]),
            ("Ownership", [c.header for c in OWNERSHIP], [list(r) for r in report.ownership()]),
        ]
        summary = [[d.name, *vars(d.figures).values()] for d in report.departments]
        return [("Summary", ["Department"] + [""] * 8, summary), *sheets]


def write_bare(sheets: list[tuple[str, list[str], list[list[Any]]]], *, links: bool) -> bytes:
    """Bare openpyxl, write-only: header and values appended as they are. With ``links``,
    each Source cell is a hyperlink cell, as openpyxl writes one (``WriteOnlyCell`` with
    ``.hyperlink``); without, the URL is a plain string."""
    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(header)
        source = header.index("Source") if "Source" in header else None
        for row in rows:
            if links and source is not None and row[source]:
                row = list(row)
                cell = WriteOnlyCell(ws, "Open")
                cell.hyperlink = row[source]
                row[source] = cell
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cpu_seconds(runs: int, *jobs: Any) -> list[float]:
    """The least CPU time (``time.process_time``) of each job over ``runs`` interleaved
    rounds: CPU time, because wall-clock time on a shared machine swings with its load."""
    best = [float("inf")] * len(jobs)
    for _ in range(runs):
        for i, job in enumerate(jobs):
            t = time.process_time()
            job()
            best[i] = min(best[i], time.process_time() - t)
    return best


def peak_mib(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        small = Database(f"sqlite:///{tmp}/small.db")
        t = time.perf_counter()
        team_id = seed(db, commitments=10_000, decisions=2_000)
        small_id = seed(small, commitments=2_500, decisions=500)
        print(f"seeded 10,000 commitments and 2,000 decisions in {time.perf_counter() - t:.2f} s")

        def export() -> bytes:
            return export_week(db, team_id=team_id, week=WEEK, now=NOW).content

        sheets = bare_rows(db, team_id)
        cells = sum(len(h) + sum(len(r) for r in rows) for _, h, rows in sheets)
        links = sum(
            1 for _, h, rows in sheets if "Source" in h for r in rows if r[h.index("Source")]
        )
        content, bare = export(), write_bare(sheets, links=True)
        wall = time.perf_counter()
        export()
        wall = time.perf_counter() - wall
        export_s, bare_s, plain_s = cpu_seconds(
            5,
            export,
            lambda: write_bare(sheets, links=True),
            lambda: write_bare(sheets, links=False),
        )
        full_peak = peak_mib(export)
        small_peak = peak_mib(
            lambda: export_week(small, team_id=small_id, week=WEEK, now=NOW).content
        )
        db.dispose()
        small.dispose()

    print("rows: " + ", ".join(f"{title} {len(rows):,}" for title, _, rows in sheets))
    mib = 2**20
    print(
        f"cells: {cells:,}; workbook {len(content) / mib:.2f} MiB (bare {len(bare) / mib:.2f} MiB)"
    )
    print(f"export: {export_s:.2f} s CPU (best of 5; one run took {wall:.2f} s wall-clock)")
    print(f"bare openpyxl write-only, same cells and {links:,} hyperlinks: {bare_s:.2f} s CPU")
    print(f"ratio: {export_s / bare_s:.2f} (target <= 1.5)")
    print(
        f"(bare values with the URLs as plain text, no hyperlink cells: {plain_s:.2f} s CPU; "
        f"ratio {export_s / plain_s:.2f})"
    )
    print(
        f"peak Python memory (tracemalloc) during export: {full_peak:.1f} MiB "
        f"(a quarter-size team: {small_peak:.1f} MiB)"
    )


if __name__ == "__main__":
    main()
