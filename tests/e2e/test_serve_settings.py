"""`joinedup serve` refuses settings that would break links across processes."""

from __future__ import annotations

from pathlib import Path

from tests.support import run_joinedup


def test_serve_refuses_a_public_url_without_a_secret_key(tmp_path: Path) -> None:
    result = run_joinedup(
        "serve",
        "--port",
        "0",
        db_url=f"sqlite:///{tmp_path / 'joinedup.db'}",
        env={"JOINEDUP_PUBLIC_URL": "https://joinedup.example.org"},
    )
    assert result.returncode == 2
    assert "JOINEDUP_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
