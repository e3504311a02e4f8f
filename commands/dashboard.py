"""``dashboard`` and ``team viewer add``: who may see a team's live view, and how they sign in.

``dashboard`` works anywhere, a team's channel or a direct message: the reply is
private, names the teams the person can see (member, lead or viewer), and
carries a personal sign-in link (single use, valid 15 minutes). The link's
origin is the invocation's ``web_origin``: the server's public URL (or
``http://127.0.0.1:<port>``), which each adapter has from its settings.
"""

from __future__ import annotations

from commands import actions as a
from commands.context import Context
from commands.language import CommandError
from commands.reply import Field, Reply
from commands.usages import usage_line
from storage import access
from storage import people as people_store
from storage.models import Person

SIGN_IN_PATH = "/web/sign-in/"
# Where the links point when the invocation names no origin (a test that dispatches
# directly): a server on this machine with the default settings.
LOCAL_ORIGIN = "http://127.0.0.1:3978"


def sign_in_url(origin: str, secret: str) -> str:
    """``<origin>/web/sign-in/<secret>`` (``origin`` like ``https://joinedup.example.org``)."""
    return f"{origin.rstrip('/')}{SIGN_IN_PATH}{secret}"


def open_dashboard(cmd: a.OpenDashboard, ctx: Context) -> Reply:
    teams = access.visible_teams(ctx.session, ctx.actor.id)
    if not teams:
        raise CommandError(
            "You aren't in any team yet, so there is nothing to show. Ask a team lead for "
            "`team viewer add` with your name."
        )
    secret = access.create_sign_in(ctx.session, person_id=ctx.actor.id, now=ctx.now)
    url = sign_in_url(ctx.invocation.web_origin or LOCAL_ORIGIN, secret)
    ctx.audit("web.sign_in_link", "person", ctx.actor.id)
    names = ", ".join(t.name for t in teams)
    return Reply(
        headline="Your sign-in link to the live view",
        body=f"Open it within 15 minutes; it works once. You can see: {names}.\n{url}",
        fields=(Field("Teams", names),),
        link=url,
        visibility="private",
        data={"sign_in": {"url": url, "teams": [t.name for t in teams]}},
    )


def _person(ctx: Context, token: str) -> Person:
    """Like ``Context.resolve_owner`` but without making the person a team member: a viewer
    sees the team without being in its channels (no nudges, no digests)."""
    usage = usage_line("team viewer add")
    person: Person | None
    mentioned = ctx.invocation.mentions.get(token)
    if mentioned is not None:
        person = ctx.session.get(Person, mentioned)
    elif token.lower() == "me":
        raise CommandError("You can already see this team.", usage=usage)
    elif token.startswith("<@"):
        person = None
    elif token.startswith("@"):
        person = people_store.person_by_handle(ctx.session, token)
    else:
        person = people_store.find_or_create_by_email(ctx.session, token)
    if person is None:
        raise CommandError(f"I couldn't tell who {token} is.", usage=usage)
    return person


def add_viewer(cmd: a.AddViewer, ctx: Context) -> Reply:
    team = ctx.require_team()
    if not ctx.is_lead():
        raise CommandError("Only a team lead can give someone access to the live view.")
    person = _person(ctx, cmd.owner)
    if people_store.membership(ctx.session, team.id, person.id) is not None:
        raise CommandError(f"{person.display_name} is in {team.name} already and can see it.")
    if not access.add_viewer(
        ctx.session, team_id=team.id, person_id=person.id, added_by_id=ctx.actor.id, now=ctx.now
    ):
        raise CommandError(f"{person.display_name} can already view {team.name}.")
    ctx.audit("team.viewer_added", "team", team.id, after={"viewer": person.id})
    return Reply(
        headline=f"{person.display_name} can now view {team.name} (read-only)",
        body="They can ask me for `dashboard` in a direct message to get a sign-in link.",
        visibility="channel",
    )
