"""The Teams app package: manifest.json (schema 1.16) and two icons, zipped for upload.

The icons are drawn here (two linked rings: joined up) and written as PNGs with zlib and
struct, so the package needs no image library and no binary files in the repository.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from typing import Any
from urllib.parse import urlparse

MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.16/MicrosoftTeams.schema.json"
)
MANIFEST_VERSION = "1.16"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ACCENT = (0x2E, 0x5A, 0x88)

# What the command menu offers (titles at most 32 characters, at most 10 per list).
COMMANDS = (
    ("help", "All commands, or help <command>"),
    ("commit", "commit <owner> <text> [by <when>]"),
    ("decision", "decision <text> [because <why>]"),
    ("list", "list [open|overdue|mine|decisions|risks]"),
    ("who owns", "who owns <topic>"),
    ("done", "done <C-n> [note]"),
    ("team", "This team's settings and channels"),
    ("team link", "A code to join from Slack or Teams"),
    ("me is", "me is <email>: one person across platforms"),
    ("me confirm", "me confirm <code>: from your other account"),
)


class ManifestError(ValueError):
    """A bad argument for the package (said in one line)."""


def manifest(*, url: str, app_id: str, version: str = "1.0.0") -> dict[str, Any]:
    """manifest.json for the bot at ``url`` (https) registered as Azure Bot ``app_id``."""
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ManifestError(f'--url "{url}" must be an https URL like https://joinedup.example')
    if not _GUID.match(app_id):
        raise ManifestError(
            f'--app-id "{app_id}" is not an Azure app id (a GUID like '
            "00000000-0000-0000-0000-000000000000)"
        )
    base = url.rstrip("/")
    scopes = ["personal", "team", "groupChat"]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "packageName": "example.joinedup",
        "developer": {
            "name": "Joinedup",
            "websiteUrl": base,
            "privacyUrl": base,
            "termsOfUseUrl": base,
        },
        "name": {"short": "Joinedup", "full": "Joinedup: one joint log for joint teams"},
        "description": {
            "short": "One joint log of decisions and commitments across Slack and Teams.",
            "full": "Joinedup keeps one joint log of a joint delivery team's decisions, "
            "commitments (owner and due date), ownership areas and risks, whichever platform "
            "a line was written on. Mention @Joinedup with a command in a channel, or chat "
            'with it directly; use "Log as decision" or "Log as commitment" on any message.',
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": scopes,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": scopes,
                        "commands": [{"title": t, "description": d} for t, d in COMMANDS],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": "logDecision",
                        "type": "action",
                        "title": "Log as decision",
                        "description": "Record this message as a decision (D-n)",
                        "context": ["message"],
                        "fetchTask": True,
                    },
                    {
                        "id": "logCommitment",
                        "type": "action",
                        "title": "Log as commitment",
                        "description": "Record this message as a commitment (C-n)",
                        "context": ["message"],
                        "fetchTask": True,
                    },
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [parsed.hostname],
    }


def package(*, url: str, app_id: str) -> bytes:
    """The uploadable zip: manifest.json, color.png (192x192), outline.png (32x32)."""
    data = json.dumps(manifest(url=url, app_id=app_id), indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", data)
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()


# --- icons -----------------------------------------------------------------------------------


def _rings(size: int, x: float, y: float) -> bool:
    """Two linked rings, centred, in a unit square scaled to ``size``."""
    u, v = (x + 0.5) / size, (y + 0.5) / size
    radius, width = 0.22, 0.07
    for cx in (0.38, 0.62):
        d = ((u - cx) ** 2 + (v - 0.5) ** 2) ** 0.5
        if abs(d - radius) <= width / 2:
            return True
    return False


def color_icon(size: int = 192) -> bytes:
    """Full-colour icon: white rings on the accent colour."""
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            row += bytes((255, 255, 255, 255)) if _rings(size, x, y) else bytes((*ACCENT, 255))
        rows.append(bytes(row))
    return png(size, size, rows)


def outline_icon(size: int = 32) -> bytes:
    """Outline icon: white rings on a transparent background (what Teams requires)."""
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            row += bytes((255, 255, 255, 255)) if _rings(size, x, y) else bytes((0, 0, 0, 0))
        rows.append(bytes(row))
    return png(size, size, rows)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGBA PNG from raw rows of ``width * 4`` bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
