"""Reading Teams activities and rendering Replies as Adaptive Cards (no network, no database)."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from commands.reply import Button, Field, Item, Reply, Section
from integrations.teams import activities as act
from integrations.teams.cards import reply_card
from integrations.teams.manifest import ManifestError, manifest, package

ROOT = Path(__file__).resolve().parents[2]


def _message(text: str, entities: list[dict]) -> dict:
    return {
        "type": "message",
        "text": text,
        "recipient": {"id": "28:bot"},
        "entities": entities,
        "conversation": {"id": "19:c@thread.tacv2;messageid=17", "conversationType": "channel"},
        "channelData": {"tenant": {"id": "t-9"}},
    }


def _mention(user_id: str, name: str) -> dict:
    return {
        "type": "mention",
        "mentioned": {"id": user_id, "name": name},
        "text": f"<at>{name}</at>",
    }


def test_the_bots_own_mention_is_removed_and_other_mentions_become_tokens() -> None:
    activity = _message(
        "<at>Joinedup</at> commit <at>Sam Jones</at> send the DPIA&nbsp;by Friday",
        [_mention("28:bot", "Joinedup"), _mention("29:1sam", "Sam Jones")],
    )

    command = act.command_of(activity)

    assert command.text == "commit <@29:1sam> send the DPIA by Friday"
    assert [m.id for m in command.mentions] == ["29:1sam"]


def test_two_mentions_of_people_with_the_same_name_map_in_order() -> None:
    activity = _message(
        "<at>Joinedup</at> owns budget <at>Sam</at> and <at>Sam</at>",
        [_mention("28:bot", "Joinedup"), _mention("29:a", "Sam"), _mention("29:b", "Sam")],
    )

    assert act.command_of(activity).text == "owns budget <@29:a> and <@29:b>"


def test_a_channel_thread_is_the_channel_and_the_tenant_comes_from_channel_data() -> None:
    activity = _message("hi", [])

    assert act.channel_conversation_id(activity) == "19:c@thread.tacv2"
    assert act.tenant_of(activity) == "t-9"


def test_a_commitment_reply_renders_as_a_1_5_card_with_execute_buttons_and_an_owner_field() -> None:
    reply = Reply(
        headline="C-4 logged by Alex",
        body="Send the DPIA",
        fields=(Field("Owner", "Sam"),),
        buttons=(
            Button("Done", "done C-4", style="primary"),
            Button("Reassign", "reassign C-4", picks_person=True),
        ),
    )

    card = reply_card(reply)

    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert card["body"][2] == {"type": "FactSet", "facts": [{"title": "Owner", "value": "Sam"}]}
    done, reassign = card["actions"]
    assert done == {
        "type": "Action.Execute",
        "title": "Done",
        "verb": "joinedup",
        "data": {"command": "done C-4"},
        "style": "positive",
    }
    assert reassign["type"] == "Action.ShowCard"
    assert reassign["card"]["body"][0]["type"] == "Input.Text"
    assert reassign["card"]["body"][0]["id"] == "owner"
    json.dumps(card)  # plain JSON all the way down


def test_list_items_carry_their_own_buttons() -> None:
    reply = Reply(
        headline="Open commitments (1)",
        sections=(
            Section(
                "Open",
                items=(
                    Item(
                        "Send it", ref="C-1", highlight=True, buttons=(Button("Done", "done C-1"),)
                    ),
                ),
            ),
        ),
    )

    container = reply_card(reply)["body"][2]

    assert container["items"][0]["text"] == "**C-1** Send it"
    assert container["items"][0]["color"] == "attention"
    assert container["items"][-1]["actions"][0]["data"] == {"command": "done C-1"}


def _png_size(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    return width, height, color_type


def test_the_app_package_holds_a_1_16_manifest_and_two_icons_of_the_required_sizes() -> None:
    app_id = "6f1c2d3e-1111-2222-3333-444455556666"
    archive = zipfile.ZipFile(io.BytesIO(package(url="https://bot.example/", app_id=app_id)))

    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    data = json.loads(archive.read("manifest.json"))
    assert data["manifestVersion"] == "1.16" and data["id"] == app_id
    assert data["bots"][0]["scopes"] == ["personal", "team", "groupChat"]
    assert all(len(c["title"]) <= 32 for c in data["bots"][0]["commandLists"][0]["commands"])
    actions = data["composeExtensions"][0]["commands"]
    assert [(c["title"], c["context"], c["fetchTask"]) for c in actions] == [
        ("Log as decision", ["message"], True),
        ("Log as commitment", ["message"], True),
    ]
    assert data["validDomains"] == ["bot.example"]
    assert _png_size(archive.read("color.png")) == (192, 192, 6)
    assert _png_size(archive.read("outline.png")) == (32, 32, 6)


def test_the_outline_icon_is_only_white_or_transparent() -> None:
    archive = zipfile.ZipFile(
        io.BytesIO(
            package(url="https://bot.example", app_id="6f1c2d3e-1111-2222-3333-444455556666")
        )
    )
    data = archive.read("outline.png")
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    pixels = {raw[r * 129 + 1 + 4 * x : r * 129 + 5 + 4 * x] for r in range(32) for x in range(32)}
    assert pixels == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}


@pytest.mark.parametrize(
    ("url", "app_id"),
    [
        ("http://bot.example", "6f1c2d3e-1111-2222-3333-444455556666"),
        ("https://bot.example", "not-a-guid"),
    ],
)
def test_a_bad_url_or_app_id_is_refused(url: str, app_id: str) -> None:
    with pytest.raises(ManifestError):
        manifest(url=url, app_id=app_id)


def test_joinedup_manifest_teams_writes_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "joinedup-teams.zip"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "manifest",
            "teams",
            "--url",
            "https://host.example",
            "--app-id",
            "6f1c2d3e-1111-2222-3333-444455556666",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert zipfile.ZipFile(out).namelist() == ["manifest.json", "color.png", "outline.png"]
