"""File names and content sniffing (pure functions, no database)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kefu.attachments.names import MAX_NAME_BYTES, content_disposition, sanitise_file_name
from kefu.attachments.sniff import image_size, sniff
from tests.attachments import samples


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\x.png", "x.png"),
        ("C:\\Users\\mei\\Desktop\\報價單.pdf", "報價單.pdf"),
        ("報價單 (最終版).xlsx", "報價單 (最終版).xlsx"),
        ("a\x00b\x1b\r\nc.txt", "a b c.txt"),
        ("invoice\u202egpj.exe", "invoice gpj.exe"),  # a right-to-left override, made visible
        ('bad<>:"|?*name.txt', "bad_______name.txt"),
        ("  .hidden. ", "hidden"),
        ("CON.txt", "_CON.txt"),
        ("", "file"),
        ("../..", "file"),
        ("\u200b", "file"),
    ],
)
def test_names_are_sanitised(raw: str, safe: str) -> None:
    assert sanitise_file_name(raw) == safe


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = sanitise_file_name("報" * 300 + ".pdf")
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.endswith("報.pdf")


def test_content_disposition_carries_utf8_names() -> None:
    header = content_disposition("attachment", '報價單 "v2".pdf')
    assert header.startswith('attachment; filename="___ _v2_.pdf"; ')
    assert header.endswith("filename*=UTF-8''%E5%A0%B1%E5%83%B9%E5%96%AE%20%22v2%22.pdf")


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (samples.png(), "image/png"),
        (samples.JPEG, "image/jpeg"),
        (samples.GIF, "image/gif"),
        (samples.WEBP_VP8X, "image/webp"),
        (samples.PDF, "application/pdf"),
        (samples.TEXT, "text/plain"),
        (samples.HTML, "text/html"),
        (b"\n\n  <p>hi</p>", "text/html"),
        (b"Dear agent,\nplease see <script>x()</script>", "text/html"),
        ("<html>".encode("utf-16"), "text/html"),
        (samples.SVG, "image/svg+xml"),
        (b'<?xml version="1.0"?><svg/>', "image/svg+xml"),
        (b'<?xml version="1.0"?><a/>', "text/xml"),
        (samples.EXE, "application/x-msdownload"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
    ],
)
def test_sniffing_reads_the_bytes(data: bytes, mime: str) -> None:
    assert sniff(data) == mime


def test_zip_containers_are_opened(tmp_path: Path) -> None:
    for data, mime in (
        (samples.DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (samples.ZIP, "application/zip"),
    ):
        path = tmp_path / "f"
        path.write_bytes(data)
        assert sniff(data[:100], path) == mime


def test_image_sizes() -> None:
    assert image_size("image/png", samples.png(640, 480)) == (640, 480)
    assert image_size("image/gif", samples.GIF) == (5, 4)
    assert image_size("image/jpeg", samples.JPEG) == (1, 1)
    assert image_size("image/webp", samples.WEBP_VP8X) == (320, 240)
    assert image_size("image/jpeg", b"\xff\xd8\xff") is None


def test_a_zip_bomb_is_not_inflated(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"\x00" * 20_000_000)  # ~20 KB compressed
    data = path.read_bytes()
    assert len(data) < 100_000
    assert sniff(data[:1000], path) == "application/zip"
