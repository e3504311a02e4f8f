"""The delivery engine against the fake Slack Web API: slow batches, outages, rate limits,
escalations that fail, and crashed workers. Clocks are virtual: nothing here sleeps out a
lease or a backoff."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter

import pytest

from bot.outbox import DeliveryEngine
from commands import reminders
from integrations.slack.notifier import SlackNotifier, single_token
from storage import outbox, people
from storage.database import Database
from storage.models import AuditEvent, Commitment
from storage.models import OutboxMessage as Row
from tests.background import BackgroundLoop
from tests.clocks import ManualClock
from tests.e2e.slack_harness import BOT_TOKEN
from tests.fakes.slack_api import FakeSlackApi
from tests.reminder_support import run_sweep, utc
from tests.support import Desk

LEAD = "alex@council.example"
MONDAY = utc("2026-11-23T09:00")  # 09:00 in London (GMT)


@pytest.fixture
def slack_api(background: BackgroundLoop) -> tuple[FakeSlackApi, BackgroundLoop]:
    return FakeSlackApi().serve(background), background


def slack_notifier(db: Database, fake: FakeSlackApi) -> SlackNotifier:
    return SlackNotifier(db=db, tokens=single_token(BOT_TOKEN), api_url=f"{fake.base_url}/api/")


def slack_team(db: Database, owners: int, *, lead_on_slack: bool = True) -> Desk:
    """A Slack-linked team whose ``owners`` (on Slack as U1, U2 ...) each own one commitment
    overdue on Monday; the lead (U0 when ``lead_on_slack``) owns nothing."""
    with db.uow() as uow:
        for i in range(owners):
            people.resolve_identity(
                uow.session,
                platform="slack",
                tenant="T1",
                user_id=f"U{i + 1}",
                display_name=f"Owner {i + 1}",
                email=f"owner{i + 1}@health.example",
            )
        if lead_on_slack:
            people.resolve_identity(
                uow.session,
                platform="slack",
                tenant="T1",
                user_id="U0",
                display_name="Alex",
                email=LEAD,
            )
        uow.commit()
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG", lead=LEAD)
    for i in range(owners):
        reply = desk.say(f"commit owner{i + 1}@health.example Task {i + 1} by 2026-11-20")
        assert reply.ok, reply.headline
    return desk


def posts(fake: FakeSlackApi) -> Counter[str]:
    """Successful chat.postMessage calls per channel (D<n>: owner n's DM; C-LOG: digest)."""
    return Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage"))


def write_sweep(db: Database, now: dt.datetime) -> set[str]:
    return asyncio.run(reminders.sweep(db, now=now)).claimed


def test_two_workers_with_a_slack_slower_than_the_lease_send_each_nudge_once(
    database_url: str, slack_api: tuple[FakeSlackApi, BackgroundLoop]
) -> None:
    """Two replicas with two lanes each; each Slack call moves a virtual clock they all read
    by 5 s: the 25 calls of 13 messages take over two minutes, past two 60 s leases, and no
    message is sent twice (a batch leased at once, as before, outlived its lease and was
    re-sent)."""
    fake, loop = slack_api
    setup = Database(database_url)
    try:
        slack_team(setup, 12)
        written = write_sweep(setup, MONDAY)
    finally:
        setup.dispose()
    assert len(written) == 13  # twelve nudges and the channel's digest
    clock = ManualClock(MONDAY)
    fake.on_call = lambda method: clock.advance(5)
    fake.delay = 0.01  # and a little real time, so the two workers interleave
    replicas = [Database(database_url), Database(database_url)]
    engines = [
        DeliveryEngine(db, {"slack": slack_notifier(db, fake)}, worker=f"r{i}", clock=clock)
        for i, db in enumerate(replicas)
    ]

    async def both() -> list[int]:
        reports = await asyncio.gather(*(e.deliver_due(lanes=2) for e in engines))
        return [len(r.sent) for r in reports]

    try:
        sent = loop.run(both(), timeout=120)
        assert clock() - MONDAY > 2 * outbox.LEASE  # the run was far slower than a lease
        assert sum(sent) == 13
        assert posts(fake) == Counter({**{f"D{i}": 1 for i in range(1, 13)}, "C-LOG": 1})
        with replicas[0].uow() as uow:
            rows = list(uow.session.query(Row).filter(Row.kind != reminders.SWEPT))
            assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    finally:
        for db in replicas:
            db.dispose()


@pytest.mark.parametrize("outage", ["503", "refused"])
def test_an_outage_from_nine_to_ten_delivers_every_nudge_and_digest_once_that_morning(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop], outage: str
) -> None:
    fake, loop = slack_api
    slack_team(db, 5)
    notifier = slack_notifier(db, fake)
    if outage == "refused":
        notifier.api_url = "http://127.0.0.1:9/api/"  # nothing listens on the discard port
    else:
        fake.down = int(outage)
    now = MONDAY
    while now < utc("2026-11-23T10:00"):  # the scheduler ticks every minute
        run_sweep(db, {"slack": notifier}, now)
        now += dt.timedelta(minutes=1)
    assert posts(fake) == Counter()  # nothing got through during the outage
    fake.down, notifier.api_url = None, f"{fake.base_url}/api/"
    while now <= utc("2026-11-23T10:06"):  # back at 10:00; the longest backoff is 5 min
        run_sweep(db, {"slack": notifier}, now)
        now += dt.timedelta(minutes=1)

    assert posts(fake) == Counter({"D1": 1, "D2": 1, "D3": 1, "D4": 1, "D5": 1, "C-LOG": 1})
    with db.uow() as uow:
        rows = list(uow.session.query(Row).filter(Row.kind != reminders.SWEPT))
        assert {r.status for r in rows} == {"sent"}
        assert min(r.attempts for r in rows) > 5  # no giving up after five attempts
        assert all(r.sent_at is not None and r.sent_at.hour == 10 for r in rows)


def test_a_429_with_retry_after_reschedules_the_row_and_no_worker_sleeps(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop]
) -> None:
    fake, loop = slack_api
    slack_team(db, 1)
    write_sweep(db, MONDAY)
    fake.fail_next("chat.postMessage", status=429, retry_after=90)
    clock = ManualClock(MONDAY)
    engine = DeliveryEngine(db, {"slack": slack_notifier(db, fake)}, worker="w", clock=clock)

    first = loop.run(engine.deliver_due())

    # One call, answered 429, and the worker went on to the next row: no retry inside the
    # send (the Slack client's rate-limit handler would have slept 90 s and called again).
    assert len(fake.calls_to("chat.postMessage", ok_only=False)) == 2
    assert [o.status for o in first.outcomes] == ["retry", "sent"]
    (limited,) = [r for r in Desk(db, MONDAY, team=None).rows(Row) if r.status == "pending"]
    assert limited.next_attempt_at == MONDAY + dt.timedelta(seconds=90)
    assert "ratelimited" in (limited.last_error or "")
    clock.advance(89)
    assert loop.run(engine.deliver_due()).claimed == 0
    clock.advance(1)
    assert loop.run(engine.deliver_due()).sent == [limited.id]
    assert posts(fake) == Counter({"D1": 1, "C-LOG": 1})


def _escalation_team(db: Database, *, lead_on_slack: bool) -> Desk:
    """Owner 1's commitment is five working days overdue on Friday 27th: escalated to the
    lead (no area matches it)."""
    return slack_team(db, 1, lead_on_slack=lead_on_slack)


FRIDAY = utc("2026-11-27T09:00")


def _escalations(desk: Desk) -> tuple[Commitment, int]:
    (c1,) = desk.rows(Commitment, Commitment.number == 1)
    audits = desk.count(AuditEvent, AuditEvent.action == "commitment.escalated")
    return c1, audits


@pytest.mark.parametrize("why", ["unreachable", "down all day"])
def test_an_escalation_whose_delivery_fails_for_good_is_not_marked_escalated(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop], why: str
) -> None:
    fake, _ = slack_api
    desk = _escalation_team(db, lead_on_slack=why != "unreachable")
    notifier = slack_notifier(db, fake)
    if why == "down all day":
        fake.down = 503
    now = FRIDAY
    while now < utc("2026-11-28T00:30"):  # every half hour until past the end of Friday
        run_sweep(db, {"slack": notifier}, now)
        now += dt.timedelta(minutes=30)

    (row,) = desk.rows(Row, Row.kind == reminders.ESCALATION)
    assert row.status == ("failed" if why == "unreachable" else "expired")
    c1, audits = _escalations(desk)
    assert c1.escalated_at is None and audits == 0
    # It still counts as not escalated, so the next working day tries again.
    fake.down = None
    with db.uow() as uow:
        people.resolve_identity(
            uow.session, platform="slack", tenant="T1", user_id="U0", email=LEAD
        )
        uow.commit()
    run_sweep(db, {"slack": notifier}, utc("2026-11-30T09:00"))
    c1, audits = _escalations(desk)
    assert c1.escalated_at == utc("2026-11-30T09:00") and audits == 1


def test_an_escalation_delivered_is_marked_escalated_exactly_once(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop]
) -> None:
    fake, _ = slack_api
    desk = _escalation_team(db, lead_on_slack=True)
    notifier = slack_notifier(db, fake)
    fake.fail_next("conversations.open", status=503)  # the first DM attempt fails
    fake.fail_next("conversations.open", status=503)

    run_sweep(db, {"slack": notifier}, FRIDAY)
    c1, audits = _escalations(desk)
    assert c1.escalated_at is None and audits == 0  # written, not yet delivered
    for minute in (1, 2, 3, 30):
        run_sweep(db, {"slack": notifier}, FRIDAY.replace(minute=minute))
    run_sweep(db, {"slack": notifier}, utc("2026-11-30T09:00"))

    c1, audits = _escalations(desk)
    assert c1.escalated_at is not None and FRIDAY < c1.escalated_at <= FRIDAY.replace(minute=3)
    assert audits == 1
    lead_dms = [
        c
        for c in fake.calls_to("chat.postMessage")
        if c.params["channel"] == "D0" and "Escalation" in c.params["text"]
    ]
    assert len(lead_dms) == 1


def test_a_worker_that_leases_and_dies_is_recovered_after_the_lease_by_another_once(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop]
) -> None:
    fake, loop = slack_api
    slack_team(db, 1)
    write_sweep(db, MONDAY)
    with db.uow() as uow:  # the worker leases Owner 1's nudge, then the process is killed
        dead = outbox.lease(uow.session, platforms=["slack"], now=MONDAY, worker="dead")
        assert dead is not None and dead.kind == reminders.NUDGE
        uow.commit()
    clock = ManualClock(MONDAY)
    alive = DeliveryEngine(db, {"slack": slack_notifier(db, fake)}, worker="alive", clock=clock)

    during = loop.run(alive.deliver_due())
    assert [o.kind for o in during.outcomes] == [reminders.DIGEST]  # the nudge is held
    clock.advance(outbox.LEASE.total_seconds() - 1)
    assert loop.run(alive.deliver_due()).claimed == 0
    clock.advance(1)
    after = loop.run(alive.deliver_due())
    clock.advance(3600)
    later = loop.run(alive.deliver_due())

    assert after.sent == [dead.id] and later.claimed == 0
    assert posts(fake) == Counter({"D1": 1, "C-LOG": 1})
    (row,) = Desk(db, MONDAY, team=None).rows(Row, Row.id == dead.id)
    assert (row.status, row.leased_by, row.attempts) == ("sent", "alive", 2)


def test_joinedup_worker_delivers_every_kind_that_serve_delivers(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop]
) -> None:
    """``joinedup worker`` (no HTTP server): an announcement, a reply, a nudge, a digest, an
    escalation and a weekly summary, each written to the outbox, all reach the fake Slack."""
    from bot.settings import Settings, SlackSettings
    from bot.worker import run_worker
    from commands.reply import Reply
    from storage.models import ChannelLink

    fake, loop = slack_api
    desk = slack_team(db, 1)
    # A Saturday noon: the worker's own scheduler, on this clock, has no reminder sweep and
    # no weekly post to plan, so the outbox holds exactly the rows written here (on the
    # wall clock a run at a working day's reminder time planned a sweep of its own).
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    (link,) = desk.rows(ChannelLink, ChannelLink.platform == "slack")
    owner = desk.person_id("owner1@health.example")
    lead = desk.person_id(LEAD)
    (c1,) = desk.rows(Commitment, Commitment.number == 1)
    reply = Reply(headline="Hello", visibility="channel").to_dict()
    with db.uow() as uow:
        s = uow.session
        common = {"platform": "slack", "team_id": link.team_id, "channel_link_id": link.id}
        outbox.enqueue(s, kind=outbox.ANNOUNCEMENT, payload=reply, now=now, **common)
        outbox.enqueue(s, kind=outbox.DIGEST, payload={"reply": reply}, now=now, **common)
        outbox.enqueue(
            s,
            kind=outbox.WEEKLY_SUMMARY,
            payload={"team_id": link.team_id, "day": now.date().isoformat()},
            now=now,
            **common,
        )
        outbox.enqueue(
            s,
            kind=outbox.REPLY,
            platform="slack",
            payload=reply,
            now=now,
            address={"tenant": "T1", "channel": "C-LOG", "user": "U1", "ephemeral": True},
        )
        outbox.enqueue(
            s, kind=outbox.NUDGE, platform="any", person_id=owner, payload={"reply": reply}, now=now
        )
        outbox.enqueue(
            s,
            kind=outbox.ESCALATION,
            platform="any",
            person_id=lead,
            team_id=link.team_id,
            payload={"reply": reply, "commitment_id": c1.id, "to": "Alex"},
            now=now,
        )
        uow.commit()
    settings = Settings(
        database_url=db.url,
        outbox_tick_seconds=0.05,
        scheduler_tick_seconds=3600,
        slack=SlackSettings(
            bot_token=BOT_TOKEN, signing_secret="s", api_url=f"{fake.base_url}/api/"
        ),
    )

    async def work() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(settings, db, stop=stop, clock=lambda: now))
        for _ in range(400):
            await asyncio.sleep(0.025)
            with db.uow() as uow:
                statuses = {r.status for r in uow.session.query(Row)}
            if statuses <= {"sent"}:
                break
        stop.set()
        return await task

    assert asyncio.run(work()) == 0
    rows = Desk(db, now, team=None).rows(Row)
    assert {r.kind: r.status for r in rows} == {
        kind: "sent"
        for kind in (
            outbox.ANNOUNCEMENT,
            outbox.DIGEST,
            outbox.WEEKLY_SUMMARY,
            outbox.REPLY,
            outbox.NUDGE,
            outbox.ESCALATION,
        )
    }
    assert posts(fake) == Counter({"C-LOG": 2, "D1": 1, "D0": 1})
    assert len(fake.calls_to("chat.postEphemeral")) == 1
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    c1, audits = _escalations(desk)
    assert c1.escalated_at is not None and audits == 1


def test_a_worker_stopped_mid_send_finishes_that_message_and_marks_it_sent(
    db: Database, slack_api: tuple[FakeSlackApi, BackgroundLoop]
) -> None:
    """SIGTERM stops the delivery loop after the message in hand, not in the middle of it
    (a cancelled send would leave its row leased, and be sent again after the lease)."""
    from bot.outbox import LANES, OutboxWorker
    from commands.reply import Reply

    fake, loop = slack_api
    now = dt.datetime.now(dt.UTC)
    with db.uow() as uow:
        for _ in range(8):
            outbox.enqueue(
                uow.session,
                kind=outbox.REPLY,
                platform="slack",
                payload=Reply(headline="Logged", visibility="channel").to_dict(),
                now=now,
                address={"tenant": "T1", "channel": "C-LOG", "user": "U1"},
            )
        uow.commit()
    in_flight = threading.Event()
    fake.on_call = lambda method: in_flight.set()
    fake.delay = 0.3
    worker = OutboxWorker(db, {"slack": slack_notifier(db, fake)}, tick_seconds=0.01)

    async def run() -> None:
        await worker.start()
        while not in_flight.is_set():
            await asyncio.sleep(0.01)
        await worker.stop()

    loop.run(run())

    statuses = Counter(r.status for r in Desk(db, now, team=None).rows(Row))
    # Every message in hand (one per lane) was finished and marked; none was left leased,
    # and the rest were never started.
    assert set(statuses) == {"sent", "pending"}
    assert statuses["sent"] == len(fake.calls_to("chat.postMessage")) <= LANES
