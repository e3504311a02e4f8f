"""The ``joinedup`` command line."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings import Settings, load_settings
from commands.language import CommandError
from storage.database import Database
from storage.migrate import current_revision, head_revision, upgrade


class UsageError(Exception):
    """A bad command-line argument: printed as one line, exit status 2."""


def parse_now(value: str | None) -> dt.datetime:
    """``--now`` as an aware UTC datetime (a naive ISO time is taken as UTC)."""
    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f'--now "{value}" is not an ISO time like 2026-11-23T09:00') from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_tz(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f'--tz "{value}" is not an IANA timezone like Europe/London') from None


def open_database(settings: Settings) -> Database:
    return Database(settings.database_url)


# --- subcommands -----------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import bootstrap

    # `dashboard` links point where `joinedup serve` answers with these same settings.
    chat = bootstrap("chat", settings)
    interactive = sys.stdin.isatty() and not args.json

    def prompt() -> None:
        sys.stdout.write(f"{args.team}> ")
        sys.stdout.flush()

    try:
        if interactive:
            print(
                f"Joinedup console for {args.team} as {args.as_}. "
                "`help` lists commands; Ctrl-D quits."
            )
        chat.console.run(
            team_name=args.team,
            email=args.as_,
            lines=sys.stdin,
            out=sys.stdout,
            as_json=args.json,
            prompt=prompt if interactive else None,
            create=args.create,
            display_name=args.name,
        )
    except CommandError as exc:
        raise UsageError(exc.message) from None
    finally:
        chat.db.dispose()
    return 0


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from commands.extraction import extract_lines

    today = parse_now(args.now).astimezone(parse_tz(args.tz)).date()
    for row in extract_lines(sys.stdin, today=today):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url, migrate=False)
    try:
        if args.action == "upgrade":
            upgrade(db.engine)
            print(f"database at {current_revision(db.engine)} (head {head_revision()})")
        else:
            print(f"database at {current_revision(db.engine)} (head {head_revision()})")
    finally:
        db.dispose()
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import bootstrap
    from bot.server import run_server

    if settings.public_url and not settings.secret_key:
        # Each process would sign links with its own random key: a link made by one replica
        # (or before a restart) would never verify on another.
        raise UsageError(
            "JOINEDUP_PUBLIC_URL is set but JOINEDUP_SECRET_KEY is not: set the same secret "
            "on every replica, e.g. JOINEDUP_SECRET_KEY=$(python3 -c "
            "'import secrets; print(secrets.token_urlsafe(32))')"
        )
    # --host and --port are settings like the others: the links the server gives point at
    # the port it listens on.
    settings = settings.with_(host=args.host or settings.host, port=args.port or settings.port)
    server = bootstrap("serve", settings)
    try:
        run_server(server)
    finally:
        server.db.dispose()
    return 0


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
    url = args.url or settings.public_url
    if not url:
        raise UsageError("give --url https://your.host (or set JOINEDUP_PUBLIC_URL)")
    if not url.startswith(("https://", "http://")):
        raise UsageError(f'--url "{url}" should start with https://')
    if args.platform == "slack":
        from integrations.slack.manifest import manifest_yaml

        sys.stdout.write(manifest_yaml(url, name=args.name))
        return 0

    from pathlib import Path

    from integrations.teams.manifest import ManifestError, package

    app_id = args.app_id or settings.teams.app_id
    if not app_id:
        raise UsageError("--app-id is required (or set MICROSOFT_APP_ID)")
    try:
        data = package(url=url, app_id=app_id)
    except ManifestError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {out} ({len(data):,} bytes): upload it in Teams > Apps > Manage your apps")
    return 0


def add_manifest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "manifest", help="print the Slack app manifest, or write the Teams app package"
    )
    p.add_argument("platform", choices=["slack", "teams"])
    p.add_argument("--url", help="the server's public https URL (default JOINEDUP_PUBLIC_URL)")
    p.add_argument("--name", default="Joinedup", help="Slack: the app's name")
    p.add_argument("--app-id", help="Teams: the Azure Bot's app id (default MICROSOFT_APP_ID)")
    p.add_argument("--out", default="joinedup-teams.zip", help="Teams: the zip to write")
    p.set_defaults(func=cmd_manifest)


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import bootstrap
    from commands.reminders import SweepReport, describe, sweep

    now = parse_now(args.now)
    reminders = bootstrap("remind", settings, clock=lambda: now)
    db = reminders.db

    async def run() -> SweepReport:
        if not args.dry_run and not reminders.notifiers:
            # Claiming without a platform would only record today's nudges as failed.
            raise UsageError(
                "no chat platform is configured (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, "
                "or MICROSOFT_APP_ID); add --dry-run to see what would be sent"
            )
        report = await sweep(db, now=now, team_name=args.team, dry_run=args.dry_run)
        if not args.dry_run:
            delivered = await reminders.engine.deliver_due(
                kinds=reminders.kinds, team_id=report.team_id
            )
            report.results = delivered.outcomes
        return report

    try:
        report = asyncio.run(run())
    except CommandError as exc:
        raise UsageError(exc.message) from None
    finally:
        db.dispose()
    for line in describe(report):
        print(line)
    return 1 if any(r.status == "failed" for r in report.results) else 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.worker import run_worker

    db = open_database(settings)
    try:
        status = asyncio.run(run_worker(settings, db))
    finally:
        db.dispose()
    if status:
        print("joinedup: no chat platform is configured; nothing to schedule", file=sys.stderr)
    return status


def add_remind(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remind", help="one reminder sweep: nudges, digests, escalations due now")
    p.add_argument("--team", help="only this team (default: every team)")
    p.add_argument("--now", help="ISO time to sweep at (default: now; naive means UTC)")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    p.set_defaults(func=cmd_remind)


def add_worker(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "worker", help="the scheduler and the delivery engine (everything serve sends), no HTTP"
    )
    p.set_defaults(func=cmd_worker)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write one team's weekly summary workbook; print its path and the short summary."""
    import os
    import tempfile
    from pathlib import Path

    from commands.rules import local_today
    from commands.weekly import parse_week, summary_filename
    from integrations.spreadsheet import export_week
    from storage.teams import team_by_name

    now = parse_now(args.now)
    db = open_database(settings)
    try:
        with db.uow() as uow:
            team = team_by_name(uow.session, args.team)
            if team is None:
                raise UsageError(f'there is no team called "{args.team}"')
            team_id, team_name = team.id, team.name
            try:
                week = parse_week(args.week, today=local_today(now, team.timezone))
            except CommandError as exc:
                raise UsageError(exc.message) from None
        out = Path(args.out or summary_filename(team_name, week))
        if out.is_dir():
            out = out / summary_filename(team_name, week)
        if not out.parent.is_dir():
            raise UsageError(f"the folder {out.parent} does not exist")
        try:
            export = export_week(db, team_id=team_id, week=week, now=now)
        except CommandError as exc:
            raise UsageError(exc.message) from None
        # Write beside the target and rename, so a failure never leaves half a workbook.
        fd, partial = tempfile.mkstemp(dir=out.parent, prefix=".joinedup-", suffix=".xlsx")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(export.content)
            os.replace(partial, out)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    finally:
        db.dispose()
    print(out)
    print(export.reply.to_text())
    return 0


def add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a team's weekly summary spreadsheet (.xlsx)")
    p.add_argument("--team", required=True, help="team name")
    p.add_argument(
        "--week",
        help='"this week", "last week" or e.g. 2026-W47 (default: the last full ISO week)',
    )
    p.add_argument("--out", help="file or folder (default joinedup-<team>-<week>.xlsx here)")
    p.add_argument("--now", help="ISO time to count from (default: now)")
    p.set_defaults(func=cmd_export)


def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the HTTP server (Slack, Teams, health) and scheduler")
    p.add_argument(
        "--host",
        help="address to listen on (default JOINEDUP_HOST, else 0.0.0.0; "
        "127.0.0.1 in Teams' anonymous mode)",
    )
    p.add_argument("--port", type=int, help="port (default 3978, or PORT)")
    p.set_defaults(func=cmd_serve)


def add_chat(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="the command language on stdin, one command a line")
    p.add_argument(
        "--team", required=True, help="team name (the first team is created on first use)"
    )
    p.add_argument("--create", action="store_true", help="make --team a new team on purpose")
    p.add_argument("--as", dest="as_", required=True, metavar="EMAIL", help="who you are")
    p.add_argument("--name", help="the name others see for you (default: from the email)")
    p.add_argument("--json", action="store_true", help="one JSON object per reply")
    p.set_defaults(func=cmd_chat)


def add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="classify chat messages (stdin) as decision/commitment")
    p.add_argument("--now", help="ISO time that relative dates count from (default: now)")
    p.add_argument("--tz", default="Europe/London", help="IANA timezone (default Europe/London)")
    p.set_defaults(func=cmd_extract)


def add_db(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "current"])
    p.set_defaults(func=cmd_db)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    """``token create --team T --label L`` (the token is printed once, on the last line),
    ``token list``, ``token revoke <label>``: bearer tokens for the JSON API."""
    from storage import access
    from storage.teams import team_by_name

    db = open_database(settings)
    now = dt.datetime.now(dt.UTC)
    try:
        with db.uow() as uow:
            session = uow.session
            if args.action == "create":
                label = (args.label or "").strip()
                if not label or len(label) > 100:
                    raise UsageError("give --label: a name for the token, up to 100 characters")
                team = team_by_name(session, args.team or "")
                if team is None:
                    raise UsageError(f'there is no team called "{args.team}"')
                if access.api_token_by_label(session, label) is not None:
                    raise UsageError(f'a token labelled "{label}" exists already')
                secret = access.create_api_token(session, team_id=team.id, label=label, now=now)
                uow.commit()
                print(f"Token {label} for {team.name} (team id {team.id}); it is shown only once:")
                print(secret)
            elif args.action == "list":
                for token, team_name in access.api_tokens(session):
                    state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                    print(
                        f"{token.label}\t{team_name}\tcreated {token.created_at:%Y-%m-%d}\t{state}"
                    )
            else:
                found = access.api_token_by_label(session, args.label or "")
                if found is None:
                    raise UsageError(f'there is no token labelled "{args.label}"')
                if found.revoked_at is None:
                    found.revoked_at = now
                    uow.commit()
                print(f"Token {found.label} is revoked.")
    finally:
        db.dispose()
    return 0


def add_token(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("token", help="bearer tokens for the JSON API: create, list, revoke")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new token for one team (printed once)")
    create.add_argument("--team", required=True, help="the team's name")
    create.add_argument("--label", required=True, help="a unique name for the token")
    actions.add_parser("list", help="every token: label, team, created, live or revoked")
    revoke = actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("label")
    p.set_defaults(func=cmd_token)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_serve,
    add_chat,
    add_extract,
    add_db,
    add_manifest,
    add_remind,
    add_worker,
    add_export,
    add_token,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="joinedup",
        description="Joinedup: one joint log of decisions and commitments across Slack and Teams.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args, load_settings()))
    except UsageError as exc:
        print(f"joinedup: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
