"""The command line: migrate, demo workspace on first start only, createuser.

These run on their own SQLite files whatever database the suite uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _kefu(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'kefu.db'}",
        "KEFU_REDIS_URL": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_is_created_once_and_data_is_kept(tmp_path: Path) -> None:
    first = _kefu(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "admin@kefu.local" in first.stdout and "/console/" in first.stdout
    logins = (tmp_path / "demo-logins.txt").read_text()
    assert logins.count("\n") == 3
    second = _kefu(tmp_path, "demo")
    assert second.returncode == 0
    assert "demo logins: see" in second.stdout
    assert (tmp_path / "demo-logins.txt").read_text() == logins  # nothing recreated


def test_createuser(tmp_path: Path) -> None:
    assert _kefu(tmp_path, "migrate").returncode == 0
    made = subprocess.run(
        [sys.executable, "-m", "kefu.cli", "createuser", "boss@example.com", "--name", "Boss"],
        env={
            **os.environ,
            "KEFU_DATA_DIR": str(tmp_path),
            "KEFU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}",
        },
        input="long enough password\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # getpass reads the terminal when there is one; without one it falls back to stdin.
    assert made.returncode == 0, made.stderr
    assert "created agent boss@example.com" in made.stdout
