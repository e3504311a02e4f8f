"""A batch of outbox rows written at once (a reminder sweep's): each dedupe key once, and
the call says which keys it wrote, across several statements' worth of rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage import outbox
from storage.database import Database
from storage.models import OutboxMessage

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _rows(keys: range, *, status: str = "pending") -> list[dict[str, object]]:
    return [
        {
            "kind": outbox.NUDGE,
            "platform": "any",
            "payload": {"reply": {"headline": f"Nudge {k}"}},
            "dedupe_key": f"nudge:{k}",
            "status": status,
        }
        for k in keys
    ]


def test_a_batch_writes_each_key_once_and_names_the_keys_it_wrote(db: Database) -> None:
    with db.uow() as work:
        first = outbox.enqueue_many(work.session, _rows(range(1_200)), now=NOW)
        work.commit()
    assert first == {f"nudge:{k}" for k in range(1_200)}  # three statements' worth

    later = NOW + dt.timedelta(minutes=1)
    with db.uow() as work:  # a second scheduler plans half the same and half new
        second = outbox.enqueue_many(work.session, _rows(range(600, 1_800)), now=later)
        work.commit()
    assert second == {f"nudge:{k}" for k in range(1_200, 1_800)}

    with db.reader() as work:
        rows = work.session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.created_at, OutboxMessage.payload)
        ).all()
        assert len(rows) == 1_800
        by_key = {key: (created, payload) for key, created, payload in rows}
        # The rows written first are untouched by the second batch.
        assert by_key["nudge:600"] == (NOW, {"reply": {"headline": "Nudge 600"}})
        assert by_key["nudge:1200"][0] == later


def test_a_marker_in_a_batch_is_written_as_sent(db: Database) -> None:
    with db.uow() as work:
        wrote = outbox.enqueue_many(work.session, _rows(range(3), status="sent"), now=NOW)
        work.commit()
    assert len(wrote) == 3
    with db.reader() as work:
        statuses = work.session.execute(select(OutboxMessage.status, OutboxMessage.sent_at)).all()
    assert statuses == [("sent", NOW)] * 3
