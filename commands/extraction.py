"""Spotting decisions and commitments in ordinary chat messages.

The Slack and Teams adapters use this to suggest "log this?" on a message and to prefill the
log form. It is deliberately rule-based (regular expressions over the message, no model, no
network): a reviewer can see why a message was or was not picked up, it runs tens of thousands
of messages a second, and a miss costs little because the user can always log by hand.

A message is read in four steps:

1. Clean it (collapse whitespace, strip a "Decision:"/"Action:" label, drop Teams HTML).
2. Rule out what only looks like a record: questions ("have we agreed the budget?"),
   suggestions and hypotheticals ("I'd suggest we...", "if we agree..."), hearsay
   ("Tom reckons they'll sign it off"), negations ("didn't reach a decision") and absence
   notices ("I'll be off Friday").
3. Look for a commitment: an owner plus an action. The owner is the author ("I'll...",
   "leave it with me"), a person asked or assigned ("@sam can you...", "action: @x to...",
   "owner: @x"), or the team ("we will send X by Friday": only with a due date, because
   "we will..." without one is usually policy or speculation).
4. Look for a decision cue ("we agreed", "decision:", "let's go with", "signed off"...).

When both are present, the commitment wins: "We agreed to pool the budget, I'll draft the
paper by Monday" is something to chase, and the decision can still be logged by hand.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from commands.dates import UnreadableDate, looks_like_date, parse_when

__all__ = ["Extraction", "extract", "extract_lines"]

Kind = Literal["decision", "commitment", "none"]


@dataclass(frozen=True)
class Extraction:
    """What a message records, if anything.

    ``owner`` is "me" (the author), "we" (the team), a mention token exactly as it appears in
    the message ("@sam", "<@U123ABC>", "<@U123|sam>", "<at>Sam Jones</at>"), an email address,
    or None. Decisions and non-records carry no owner or due date.
    """

    kind: Kind
    owner: str | None
    due: datetime.date | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "text": self.text,
        }


# --- who ------------------------------------------------------------------------------------

_MENTION = (
    r"(?:<@[UW][A-Z0-9]+(?:\|[^>]+)?>"  # Slack: <@U123ABC> or <@U123ABC|sam>
    r"|<at>[^<]+</at>"  # Teams
    r"|(?<![\w@.])@[A-Za-z][\w.\-]*\w)"  # plain text: @sam, @jo.bloggs
)
_EMAIL = r"(?:\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b)"
_PERSON = rf"(?P<person>{_MENTION}|{_EMAIL})"

# "Action: @priya ...", "owner: @tom - ...", "assigned to jo@x.gov.uk"
_ASSIGNED = re.compile(
    rf"\b(?:actions?|owner|assigned to|assignee)\b\s*[:\-\u2013\u2014]?\s*{_PERSON}", re.I
)
# "@sam can you...", "<at>Sam</at> please...", "@dave to send...", "@sam will send..."
_ADDRESSED = re.compile(
    rf"{_PERSON}[,:]?\s+(?:(?:can|could|would|will) you\b|please\b|pls\b|plz\b"
    r"|(?:to|will|'ll)\s+(?!be\b|the\b|you\b|me\b|us\b|all\b|everyone\b)[a-z]{2,})",
    re.I,
)
# "Please could <@U1ABC> confirm...", "would @sam mind..."
_ASKED = re.compile(rf"\b(?:can|could|would)\s+{_PERSON}\s+(?:please\s+|pls\s+)?[a-z]{{2,}}", re.I)
# "Can you send me the MOU, <@U01|jo>?": the request first, the person last.
_REQUEST_THEN_PERSON = re.compile(
    rf"\b(?:(?:can|could|would) you|please)\b[^?]*?[,\s]{_PERSON}\s*[?.!]*\s*$", re.I
)

# Minute-style action lines: "AP: Priya to circulate...", "Action: Dev to write up...",
# "Sarah to update the risk log...", "Helen and Raj to agree..." (the first named owns it),
# "Action for Tom: update...", "Action for Housing - confirm...". Names are capitalised
# words or initials; a capitalised word that is not a name ("Thanks to everyone", "Minutes to
# follow") is ruled out by _NOT_A_NAME.
_NAME = r"(?:[A-Z][a-z'\-]+|[A-Z]{2,3})(?:\s+[A-Z][a-z'\-]+)?"
_MINUTE_PREFIX = (
    r"^[\s*_~>•\-]*"
    r"(?P<prefix>(?i:(?:AP|A/P|action points?|actions?)\s*\d*\s*[:\-\u2013\u2014.]+\s*))?"
)
_NAME_TO = re.compile(
    rf"{_MINUTE_PREFIX}(?P<person>{_NAME})(?:\s*(?:,|and|&)\s*{_NAME})*"
    r"\s+(?:to|will)\s+(?!be\b|the\b|a\b|an\b|all\b|me\b|us\b|you\b|do so\b)(?P<verb>[a-z]{2,})",
)
# Without an "AP:"/"Action:" prefix, "<Name> to <verb>" is an action only with a verb that
# names one ("Sam to send...", not "Lovely to see you all").
_ACTION_VERBS = frozenset(
    """send circulate draft update share confirm check chase book arrange review write speak
    liaise contact set organise organize prepare pull provide follow look agree find ask email
    call ring phone meet invite submit produce complete finalise finalize lead chair present
    report feed take pick sort raise escalate discuss explore investigate scope map identify
    compile collate distribute forward request obtain seek secure source schedule coordinate
    co-ordinate draw put get make add amend revise refresh reply respond brief work help
    support test run attend nominate approve sign clarify establish develop design build
    procure commission recruit train visit audit evaluate analyse analyze monitor track
    upload publish issue notify inform give bring cost recruit tidy convene host""".split()
)
_ACTION_FOR = re.compile(
    rf"^[\s*_~>]*(?i:AP|action(?: point)?)\s+(?i:for)\s+(?P<person>{_NAME})\s*[:\-\u2013\u2014]",
)
_ME_TO = re.compile(
    r"^[\s*_~>]*(?:(?:AP|actions?)\s*[:\-\u2013\u2014]\s*)?me\s+(?:to\s+|[:\-\u2013\u2014]\s*)"
    r"(?!be\b)[a-z]{2,}",
    re.I,
)
_NOT_A_NAME = frozenset(
    """thanks thank minutes reminder welcome nice due back going next subject agenda apologies
    slides link update good happy great time remember need needs plan plans hard easy sorry
    access hope want nobody someone anyone everyone everybody all we i you they it this that
    who what up also just only still decision agreed agreement confirmed outcome resolved
    deadline nothing something papers paper report reports figures data numbers budget
    referrals it's there here then now today tomorrow yes no ok okay sure fine please can
    could would should will shall may might must happy glad able unable used going assigned
    i'm i've i'd i'll im ive owner assignee""".split()
)


def _minute_owner(text: str) -> str | None:
    """The owner of a minute-style action line, or None: "me" for "Me to ...", else the
    name as written ("Priya", "JM", "Housing")."""
    if _ME_TO.match(text):
        return "me"
    for pattern in (_ACTION_FOR, _NAME_TO):
        found = pattern.match(text)
        if found is None:
            continue
        person = found.group("person")
        first = person.split()[0]
        if first.casefold() in _NOT_A_NAME or first[0].islower():
            continue
        if pattern is _NAME_TO and not found.group("prefix"):
            if found.group("verb") not in _ACTION_VERBS:
                continue
        return person
    return None


# The author taking something on.
_FIRST_PERSON = re.compile(
    r"\bi(?:'ll| will| shall|'m going to| am going to)\s+(?P<rest>\S+(?:\s+\S+){0,2})"
    r"|\bi(?:'m| am) on it\b"
    r"|\bi can (?:take|do|pick|own|look|sort|get|send|draft|cover|chair|lead|check|chase|"
    r"write|book|ask|share|circulate|update|pull|set up)\b"
    r"|\bi'?m happy to (?:take|do|pick|own|lead|draft)\b|\bhappy to (?:take|pick up|own|lead)\b"
    r"|\bleave (?:it|this|that)(?: one)? with me\b|\bi'll take (?:it|this|that)\b"
    # "ill send round the slides": I'll without its apostrophe, trusted only at the start
    r"|^(?:ill|il)\s+(?P<rest_typo>[a-z]+(?:\s+\S+){0,2})"
    r"|^(?:will do|on it|can do|consider it done)\b"
    # A chat shorthand that drops the "I": "Will circulate the minutes tomorrow".
    r"|^(?:will|gonna)\s+(?P<rest_bare>(?!be\b|you\b|we\b|they\b|it\b|do\b)[a-z]+(?:\s+\S+){0,2})",
    re.I,
)
# After "I'll": being somewhere (or not), or a figure of speech, which is not a commitment.
_NOT_AN_ACTION = re.compile(
    r"^(?:\w+\s+)?be\s+(?:off|on\b(?! it\b| top\b| the case\b)|out"
    r"|away|in\b|at\b|working from|wfh|back|late|unavailable|sick|around|offline|travelling"
    r"|there|here|online|free|busy|honest|frank|brief|quick|glad|happy)"
    r"|^(?:need|want|have to miss|miss|not)\b",
    re.I,
)
# The team: "we will send the figures by Friday". Policy ("going forward we will") and choices
# ("we'll go with") are decisions, not things to chase.
_WE_WILL = re.compile(
    r"(?<!going forward )(?<!going forward, )(?<!from now on )"
    r"\bwe(?:'ll| will| shall|'re going to| are going to)\s+"
    r"(?!go (?:with|for)\b|need\b|have to\b|be\b|see\b|ever\b|probably\b|maybe\b|try\b)[a-z]+",
    re.I,
)

# --- what was decided -----------------------------------------------------------------------

_DECISION = re.compile(
    r"^\W*(?:final\s+)?de[cs]i[sc]i?on(?:\s+made)?\s*[:\-\u2013\u2014]"
    r"|\bfinal (?:call|decision)\b"
    r"|(?<!the )(?<!an )(?<!if )(?<!once )(?<!when )(?<!be )\bagreed\b"
    r"|\b(?:we|i|they|board|team|partners)(?:'ve| have| had|'d)?\s+(?:\w+\s+)?decided\b"
    r"|\bdecided (?:to|against|that|on)\b"
    r"|\blet'?s go (?:with|for|ahead)\b"
    r"|\bwe(?:'ll| will| shall)?\s+go (?:with|for|ahead)\b"
    r"|\bwe(?:'re| are) (?:going (?:with|for|ahead)|dropping|moving to|switching to)\b"
    r"|\bsigned[ \-]?off\b|\bsign-?off (?:received|given|granted)\b"
    r"|(?<!the )\bapproved\b|\bratified\b|\bgreen[ \-]lit\b|\bgiven the go-ahead\b"
    r"|\b(?:it'?s|that'?s|it is|that is) settled\b|\bsettled on\b"
    r"|\b(?:it'?s|that'?s|it is|that is|it was|that was) (?:been |now )?decided\b"
    r"|^\W*(?:ok,? |so,? |right,? )?decided\b|\bfinal answer\b"
    r"|\bgoing forward,? we(?:'ll| will)\b|\bfrom now on,? we\b|\bwith immediate effect\b"
    r"|\b(?:consensus|agreement) (?:reached|was reached)\b|\breached (?:consensus|agreement)\b"
    r"|^(?:ok,? |so,? |right,? )?going (?:with|ahead with)\b"
    # Minute-style: "Confirmed: ...", "Outcome - ...", "Resolved that ...".
    r"|^\W*(?:confirmed|outcome|resolved|resolution|conclusion)\s*[:\-\u2013\u2014]"
    r"|^\W*resolved that\b|\bconfirmed the decision\b",
    re.I,
)
# Reported history: a decision taken long ago, mentioned in passing, is not a new one.
_HISTORY = re.compile(
    r"\b(?:back |as far back as )?in (?:19|20)\d\d\b|\b(?:years|months|ages|long) ago\b"
    r"|\blast (?:year|spring|summer|autumn|winter|decade)\b|\bhistorically\b|\bpreviously\b"
    r"|\boriginally\b|\bback (?:in|when|then)\b"
    r"|\bas you(?:'ll| will| may)? (?:know|remember|recall)\b"
    r"|\bfor (?:background|context|info(?:rmation)?)\b|\bnever (?:implemented|happened)\b"
    r"|\bthe (?:old|previous|former) (?:\w+ )?(?:group|board|team|partnership|committee)\b"
    r"|\bnothing came of it\b|\bat the time\b|\bused to\b|\bsome time ago\b",
    re.I,
)

# --- what rules a message out ----------------------------------------------------------------

_QUESTION_START = re.compile(
    r"^(?:did|do|does|have|has|had|is|are|was|were|should|shall|what|what's|who|who's|whom"
    r"|whose|when|where|which|why|how|any|anyone|anybody|am i"
    r"|(?:can|could|would|will) (?:someone|anyone|anybody|somebody|we|i)\b)\b",
    re.I,
)
# "@sam, did you...", "hi all, has anyone...": what comes before a question word.
_LEADING_ADDRESS = re.compile(
    rf"^(?:\s*(?:{_MENTION}|hi|hey|ok|okay|so|right|quick q)[,:!]?)+\s*", re.I
)
_TRAILING_QUESTION_MARK = re.compile(r"\?[^\w?]*$")
_HEDGE = re.compile(
    r"^(?:if|maybe|perhaps|possibly|potentially|hypothetically)\b"
    r"|\b(?:i'd|i would|we'd|we would) (?:suggest|propose|recommend|prefer|like to)\b"
    r"|\b(?:i|we) (?:suggest|propose|recommend)\b|\bi think we should\b|\bwe should\b"
    r"|\bwe (?:could|might|may)\b|\bshould we\b|\bi wonder\b|\bwould it be\b"
    r"|\b(?:apparently|reckons?|rumou?r(?:ed)?|allegedly|who knows|according to)\b"
    r"|\b(?:mentioned|said|says|thinks) (?:that )?(?:they|he|she|it)\b"
    r"|\bi (?:heard|hear) (?:that )?\b",
    re.I,
)
_NEGATED_DECISION = re.compile(
    r"\b(?:didn't|did not|haven't|have not|hasn't|has not|not yet|no|not|never|yet to|without)"
    r"\s+(?:\w+\s+){0,3}?(?:decided?|decision|agreed?|agreement|approved?|signed off|settled)\b",
    re.I,
)

# --- when -----------------------------------------------------------------------------------

_DUE_TRIGGER = re.compile(
    r"\b(?:by|before|b4|until|till|on|due(?: by| on)?|no later than|deadline(?: is)?)\s+", re.I
)
# Where a date phrase must end: clause punctuation or a joining word.
_CLAUSE_BREAK = re.compile(
    r"[,;!?()\n]|\.(?!\d)|\s[\-\u2013\u2014]\s|\s(?:and|but|so|if|as|because|then|or)\s", re.I
)
_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_NUMBER = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a )?couple of)"
# Dates that need no "by": "I'll pick it up tomorrow", "I'll get it done in 3 working days".
# A weekday followed by "'s" is an event ("next Tuesday's workshop"), not a deadline.
_STANDALONE_DUE = re.compile(
    rf"\b(?:(?:eod|cob|close of play|end of play|end of (?:the )?day)\s+(?:on\s+)?"
    rf"(?:next |this )?{_WEEKDAY}|{_WEEKDAY} next week"
    r"|today|tonight|tomorrow|tmrw|tmr|eod|eow|eom|cob|this (?:morning|afternoon|evening|week)"
    r"|end of (?:the |this )?(?:day|week|month|year)|end of next (?:week|month)|next week"
    rf"|(?:in|within) {_NUMBER} (?:working |business )?(?:days?|weeks?|fortnights?|months?)"
    rf"|(?:next |this )?{_WEEKDAY})\b(?!'s)",
    re.I,
)
_MAX_DATE_WORDS = 7

# --- cleaning -------------------------------------------------------------------------------

_LABEL = re.compile(
    r"^[\s*_~>]*(?:final\s+)?(?:de[cs]i[sc]i?on(?:\s+made)?|agreed|actions?|final call|AP)[*_~]*"
    r"\s*[:\-\u2013\u2014]+[*_~]*\s*",
    re.I,
)
_HTML_TAG = re.compile(r"</?(?:p|div|span|br|b|i|u|em|strong)\b[^>]*>", re.I)


def _collapse(message: str) -> str:
    return re.sub(r"\s+", " ", _HTML_TAG.sub(" ", message)).strip()


def _clean(collapsed: str) -> str:
    """The message as it should be recorded: a leading "Decision:"/"Agreed:"/"Action:" label
    removed (the kind says it already) and the first letter capitalised after it."""
    unlabelled = _LABEL.sub("", collapsed, count=1)
    if unlabelled == collapsed or not unlabelled:
        return collapsed
    first_word = unlabelled.split(" ", 1)[0]
    if "@" in first_word or "<" in first_word:
        return unlabelled  # a mention or address is kept exactly as written
    return unlabelled[0].upper() + unlabelled[1:]


def _for_matching(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


# --- the reading ----------------------------------------------------------------------------


def _owner(text: str, *, due: datetime.date | None) -> str | None:
    """Who takes the action on, if anyone: the earliest owner cue in the message wins, so
    "I'll ask @sam to check" belongs to the author and "Action: @priya ..." to Priya."""
    candidates: list[tuple[int, str]] = []
    if (minute := _minute_owner(text)) is not None:
        candidates.append((-1, minute))
    for pattern in (_ASSIGNED, _ADDRESSED, _ASKED, _REQUEST_THEN_PERSON):
        for found in pattern.finditer(text):
            candidates.append((found.start(), found.group("person")))
            break
    for found in _FIRST_PERSON.finditer(text):
        rest = found.group("rest") or found.group("rest_typo") or found.group("rest_bare")
        if rest and _NOT_AN_ACTION.match(rest):
            continue
        candidates.append((found.start(), "me"))
        break
    if due is not None and (found_we := _WE_WILL.search(text)):
        candidates.append((found_we.start(), "we"))
    return min(candidates)[1] if candidates else None


def _due(text: str, *, today: datetime.date) -> datetime.date | None:
    """The first deadline in the message: "by/before/on/until <date>" first, then a date
    phrase that needs no preposition ("tomorrow", "this afternoon", "in 2 weeks").

    Only our own date rules are used (no dateparser): free text is full of words dateparser
    would happily read as dates, and this runs on every message.
    """
    for trigger in _DUE_TRIGGER.finditer(text):
        after = _CLAUSE_BREAK.split(text[trigger.end() :], maxsplit=1)[0]
        words = after.split()[:_MAX_DATE_WORDS]
        for length in range(len(words), 0, -1):
            phrase = " ".join(words[:length])
            if not looks_like_date(phrase):
                continue
            try:
                return parse_when(phrase, today=today, use_dateparser=False)
            except UnreadableDate:
                continue
    for standalone in _STANDALONE_DUE.finditer(text):
        try:
            return parse_when(standalone.group(), today=today, use_dateparser=False)
        except UnreadableDate:
            continue
    return None


def _is_question(text: str) -> bool:
    """Starts like a question, or ends with "?" (give or take trailing emoji and spaces)."""
    starts = _QUESTION_START.match(_without_leading_mentions(text))
    return bool(starts or _TRAILING_QUESTION_MARK.search(text))


def _without_leading_mentions(text: str) -> str:
    return _LEADING_ADDRESS.sub("", text)


def extract(message: str, *, today: datetime.date) -> Extraction:
    """Whether ``message`` records a decision, a commitment or neither, with the owner and due
    date of a commitment. ``today`` is the team's local date, used to resolve "by Friday"."""
    collapsed = _collapse(message)
    text = _clean(collapsed)
    matching = _for_matching(collapsed)  # cues include the label ("Decision: ...")
    none = Extraction(kind="none", owner=None, due=None, text=text)
    if not matching:
        return none

    due = _due(matching, today=today)
    owner = _owner(matching, due=due)
    addressed = owner not in (None, "me", "we")
    hedged = bool(_HEDGE.search(matching))

    # A request to a named person survives its question mark: "@sam can you own the DPIA?".
    if _is_question(matching) and not addressed:
        return none
    if hedged:
        return none
    if owner is not None:
        return Extraction(kind="commitment", owner=owner, due=due, text=text)
    if (
        _DECISION.search(matching)
        and not _NEGATED_DECISION.search(matching)
        and not _HISTORY.search(matching)
    ):
        return Extraction(kind="decision", owner=None, due=None, text=text)
    return none


def extract_lines(lines: Iterable[str], *, today: datetime.date) -> Iterator[dict[str, Any]]:
    """Extract from each line: a JSON object with a "text" field, or plain text. Blank lines
    are skipped; each result is ``Extraction.to_json()``.

    Raises ValueError for a JSON object without a "text" string (rather than reading the JSON
    itself as a chat message).
    """
    for number, line in enumerate(lines, start=1):
        raw = line.strip()
        if not raw:
            continue
        text = raw
        if raw.startswith("{"):
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, dict):
                if not isinstance(parsed.get("text"), str):
                    raise ValueError(f'line {number}: a JSON object needs a "text" string')
                text = parsed["text"]
        yield extract(text, today=today).to_json()
