"""Concurrent writers: numbers stay unique and gap-free, nobody sees an error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from storage.models import Commitment, Person
from tests.support import Desk


def test_fifty_threads_logging_commitments_get_fifty_gap_free_ids(db, now) -> None:
    desk = Desk(db, now)
    writers = [f"writer{i}@dept{i % 5}.example" for i in range(50)]

    def log(i: int):
        # Every thread names the same new owner: first sight of a person races too.
        return desk.say(
            f"commit shared.owner@gov.example Task number {i} by Friday", as_=writers[i]
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        replies = list(pool.map(log, range(50)))

    assert [r.headline for r in replies if not r.ok] == []
    numbers = sorted(c.number for c in desk.rows(Commitment))
    assert numbers == list(range(1, 51))
    assert sorted(r.ref for r in replies) == sorted(f"C-{n}" for n in range(1, 51))
    assert desk.count(Person, Person.email == "shared.owner@gov.example") == 1
