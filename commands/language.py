"""The words of the command language and its refusal: ``CommandError``, record ids,
owners, texts and numbers, read the same way by every command's grammar.

The same words work in Slack, Teams and the console. Parsing is purely
syntactic: owners and dates stay as text and are resolved by the handlers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from commands.dates import split_trailing_date
from commands.reply import FormField
from commands.usages import usage_line

MAX_TEXT = 4000


class CommandError(Exception):
    """Bad input: a short, specific message, and the usage line of the command meant."""

    def __init__(
        self, message: str, *, usage: str | None = None, field: FormField | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        # The form field the refusal is about (the owner refused, the due date unread).
        self.field = field


@contextmanager
def about(field: FormField) -> Iterator[None]:
    """A refusal raised inside is about ``field`` of a form (unless it already names one):
    ``with about("owner"): owner = ctx.resolve_owner(...)``."""
    try:
        yield
    except CommandError as exc:
        exc.field = exc.field or field
        raise


RECORD_REF = re.compile(r"^(?:#)?([dcrm])-?(\d{1,9})$", re.IGNORECASE)


def parse_ref(token: str, kind: str, verb: str) -> int:
    """``C-12`` (also ``c12``, ``#C-12``) -> 12, or a CommandError naming what was expected."""
    match = RECORD_REF.match(token.strip())
    if not match or match.group(1).upper() != kind:
        label = {"D": "decision", "C": "commitment", "R": "risk", "M": "measure"}[kind]
        raise CommandError(
            f'"{token}" is not a {label} id; {label} ids look like {kind}-12.',
            usage=usage_line(verb),
        )
    return int(match.group(2))


_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


def is_email(token: str) -> bool:
    """Whether ``token`` reads as an email address (one ``@``, a dot after it)."""
    return _EMAIL.fullmatch(token) is not None


def is_owner_token(token: str) -> bool:
    """``me``, ``@handle``, an email, or an adapter's mention token (``<@...>``)."""
    return (
        token.lower() == "me" or token.startswith("@") or token.startswith("<@") or is_email(token)
    )


def need_text(text: str, what: str, verb: str) -> str:
    """``text`` stripped; a CommandError when it is empty or longer than ``MAX_TEXT``. The
    parser and the handlers of typed commands (forms) both check with it."""
    text = text.strip()
    if not text:
        raise CommandError(f"{what} is missing.", usage=usage_line(verb), field="text")
    if len(text) > MAX_TEXT:
        raise CommandError(
            f"That text is {len(text):,} characters; the limit is {MAX_TEXT:,}.",
            usage=usage_line(verb),
            field="text",
        )
    return text


def need_owner(token: str, verb: str) -> str:
    """``token`` when it names an owner (``is_owner_token``); a CommandError otherwise."""
    if not is_owner_token(token):
        raise CommandError(
            f'"{token}" is not an owner. Name one as me, @handle, an email or a mention.',
            usage=usage_line(verb),
        )
    return token


def split_last(text: str, word: str) -> tuple[str, str | None]:
    """Split at the last ``<space>word<space>`` (case-insensitive)."""
    matches = list(re.finditer(rf"\s+{word}\s+", text, re.IGNORECASE))
    if not matches:
        return text, None
    m = matches[-1]
    return text[: m.start()], text[m.end() :]


def split_due(text: str) -> tuple[str, str | None]:
    """The text and its trailing due-date phrase ("by Friday", "next Tuesday", "on the 9th"):
    the rule lives in ``commands.dates.split_trailing_date``."""
    return split_trailing_date(text)


def ref_arg(words: list[str], kind: str, verb: str) -> int:
    """The id that ``words`` start with (``parse_ref``); a CommandError asking for it when
    there are no words."""
    if not words:
        label = {"D": "decision", "C": "commitment", "R": "risk", "M": "measure"}[kind]
        raise CommandError(f"Which {label}? Give its id, like {kind}-12.", usage=usage_line(verb))
    return parse_ref(words[0], kind, verb)


def rest_after(words: list[str]) -> str:
    """The words after the first (a note, a reason), joined."""
    return " ".join(words[1:]).strip()


_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[-+]?\.\d+$")


def parse_number(token: str, what: str, verb: str) -> float:
    """``58``, ``-3``, ``12.5``, ``1,200`` -> a float; anything else is a CommandError
    that names the token (``nan`` and ``inf``, which ``float`` would take, are refused)."""
    if not _NUMBER.match(token.strip()):
        raise CommandError(
            f'{what} "{token}" is not a number; write it like 58, 12.5 or 1,200.',
            usage=usage_line(verb),
        )
    return float(token.replace(",", ""))
