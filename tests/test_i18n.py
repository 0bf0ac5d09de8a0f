"""Every error code the server raises reads in zh-TW, details included."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from kefu.i18n import CATALOG, translate

SRC = Path(__file__).resolve().parents[1] / "src" / "kefu"
GENERIC = {"bad_request", "invalid_input", "not_authenticated", "permission_denied", "not_found"}


def raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        codes |= set(re.findall(r'\bcode="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return codes


def test_every_raised_code_has_a_traditional_chinese_message() -> None:
    codes = raised_codes()
    assert {"at_capacity", "already_assigned", "transfer_target"} <= codes  # the scan works
    missing = sorted((codes | GENERIC) - set(CATALOG["zh-TW"]))
    assert missing == []


def test_placeholders_are_filled_and_a_missing_one_falls_back_to_english() -> None:
    text = translate("at_capacity", "zh-TW", "Mei is at their limit of 3.", name="Mei", capacity=3)
    assert text == "Mei已達同時處理對話的上限(3 個)。"
    assert translate("at_capacity", "zh-TW", "english") == "english"
    assert translate("at_capacity", "en", "Mei is at their limit of 3.") == (
        "Mei is at their limit of 3."
    )


async def test_validation_errors_name_the_field_in_both_languages(
    client: httpx.AsyncClient,
) -> None:
    body = {"email": 42}
    zh = await client.post("/api/v1/auth/login", json=body, headers={"accept-language": "zh-TW"})
    en = await client.post("/api/v1/auth/login", json=body, headers={"accept-language": "en"})
    assert zh.status_code == en.status_code == 422
    assert zh.json()["error"]["message"].startswith("輸入的資料有誤：")
    assert "email" in zh.json()["error"]["message"]
    assert en.json()["error"]["message"].startswith("email")
