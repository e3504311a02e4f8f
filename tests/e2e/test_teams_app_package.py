"""The Teams app package as `joinedup manifest teams` writes it, checked by Microsoft's rules.

manifest.json is validated against the official Teams app manifest schema for the version it
declares (``tests/fixtures/teams/MicrosoftTeams-1.16.schema.json``: the file served at
developer.microsoft.com/en-us/json-schemas/teams/v1.16/MicrosoftTeams.schema.json, taken from
github.com/microsoft/json-schemas ``teams/v1.16/MicrosoftTeams.schema.json`` at commit
f891f5bfc1ce0030aa53d805d90881a1b8b07643, MIT licence). The schema does not say what the
icons must be; Microsoft's app-package docs do (colour 192x192, outline 32x32), so the PNG
headers are read here.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema

from integrations.teams.manifest import MANIFEST_SCHEMA
from tests.support import run_joinedup

SCHEMA_FILE = Path(__file__).parents[1] / "fixtures" / "teams" / "MicrosoftTeams-1.16.schema.json"
APP_ID = "6f1c2d3e-1111-2222-3333-444455556666"


def _build(tmp_path: Path) -> zipfile.ZipFile:
    out = tmp_path / "x.zip"
    result = run_joinedup(
        "manifest",
        "teams",
        "--url",
        "https://joinedup.example.org",
        "--app-id",
        APP_ID,
        "--out",
        str(out),
        db_url=f"sqlite:///{tmp_path / 'unused.db'}",
    )
    assert result.returncode == 0, result.stderr
    return zipfile.ZipFile(out)


def _schema_errors(data: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(data)
    ]


def _png_header(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format puts first."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_schema_fixture_is_the_one_the_manifest_names() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    declared = schema["properties"]["manifestVersion"]["const"]
    assert MANIFEST_SCHEMA.endswith(f"/v{declared}/MicrosoftTeams.schema.json")


def test_the_packaged_manifest_is_valid_against_microsofts_schema_for_its_version(
    tmp_path: Path,
) -> None:
    archive = _build(tmp_path)
    data = json.loads(archive.read("manifest.json"))

    assert data["$schema"] == MANIFEST_SCHEMA
    assert _schema_errors(data) == []
    # The schema says draft-04, which has no "const": jsonschema (like any draft-04 validator)
    # skips the manifestVersion rule, so it is checked here. Nor does jsonschema check
    # "format": "uri" without an extra package; Teams wants https for the developer's links.
    schema = json.loads(SCHEMA_FILE.read_text())
    assert data["manifestVersion"] == schema["properties"]["manifestVersion"]["const"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        link = urlparse(data["developer"][key])
        assert link.scheme == "https" and link.hostname == "joinedup.example.org", link


def test_the_schema_check_catches_a_manifest_teams_would_refuse(tmp_path: Path) -> None:
    data = json.loads(_build(tmp_path).read("manifest.json"))
    data["bots"][0]["commandLists"][0]["commands"].append({"title": "x" * 33, "description": "d"})
    data["developer"].pop("privacyUrl")

    errors = _schema_errors(data)

    assert any("is too long" in e for e in errors), errors
    assert any("'privacyUrl' is a required property" in e for e in errors), errors


def test_the_package_icons_are_192_colour_and_32_outline(tmp_path: Path) -> None:
    archive = _build(tmp_path)
    data = json.loads(archive.read("manifest.json"))

    assert sorted(archive.namelist()) == sorted(
        ["manifest.json", data["icons"]["color"], data["icons"]["outline"]]
    )
    assert _png_header(archive.read(data["icons"]["color"])) == (192, 192)
    assert _png_header(archive.read(data["icons"]["outline"])) == (32, 32)


def test_each_scope_offers_at_most_ten_commands_in_one_list(tmp_path: Path) -> None:
    data = json.loads(_build(tmp_path).read("manifest.json"))

    for bot in data["bots"]:
        per_scope: dict[str, int] = {}
        for command_list in bot["commandLists"]:
            assert 1 <= len(command_list["commands"]) <= 10
            for scope in command_list["scopes"]:
                per_scope[scope] = per_scope.get(scope, 0) + 1
                assert scope in bot["scopes"], f"{scope} lists commands the bot is not in"
            titles = [c["title"] for c in command_list["commands"]]
            assert len(titles) == len(set(titles)), titles
        assert per_scope and all(n == 1 for n in per_scope.values()), per_scope
