"""The client's logo: its limits, checked from the file's size and header alone (SPEC §6).

The logo is embedded in every HTML page and PDF of a run, so a 25 MB photograph used as a
logo made every report tens of megabytes. A logo larger than :data:`MAX_BYTES` or wider or
higher than :data:`MAX_SIDE` pixels is refused where the settings are checked, with the fix
(export it smaller) rather than shrunk on the way: shrinking means decoding the whole image
(a small file can decode to gigabytes), cannot be done for SVG without a renderer, and would
put a different picture in the reports than the one in the client folder. The pixel size is
read from the PNG, JPEG, GIF or WebP header; nothing is decoded.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 2000  # pixels; the reports show the logo about 200 px wide, so this leaves room for print

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """Width and height in pixels of a PNG, JPEG, GIF or WebP file, read from its header.

    Returns ``None`` when the file is none of these (an SVG, or not an image).

    Examples
    --------
    >>> import struct, tempfile, zlib
    >>> ihdr = b"IHDR" + struct.pack(">IIBBBBB", 640, 200, 8, 2, 0, 0, 0)
    >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    >>> with tempfile.NamedTemporaryFile(suffix=".png") as f:
    ...     _ = f.write(png); f.flush()
    ...     image_size(f.name)
    (640, 200)
    """
    with open(path, "rb") as f:
        head = f.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_size(head)
        if head[:3] == b"\xff\xd8\xff":
            return _jpeg_size(f)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    kind = head[12:16]
    if kind == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        return (int.from_bytes(head[26:28], "little") & 0x3FFF,
                int.from_bytes(head[28:30], "little") & 0x3FFF)
    if kind == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(f) -> tuple[int, int] | None:
    """Walk the JPEG segments (skipping their bodies) to the frame header holding the size."""
    f.seek(2)
    while True:
        if f.read(1) != b"\xff":
            return None
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker or marker[0] in (0xD9, 0xDA):  # end of file or image data before any frame
            return None
        if marker[0] == 0x01 or 0xD0 <= marker[0] <= 0xD8:  # markers without a body
            continue
        length = int.from_bytes(f.read(2), "big")
        if marker[0] in _JPEG_SOF:
            frame = f.read(5)
            if len(frame) < 5:
                return None
            return int.from_bytes(frame[3:5], "big"), int.from_bytes(frame[1:3], "big")
        if length < 2:
            return None
        f.seek(length - 2, os.SEEK_CUR)


def logo_problem(path: str | os.PathLike) -> tuple[str, str] | None:
    """What is wrong with the logo file at ``path`` and how to fix it, or ``None`` when it is usable.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".png") as f:
    ...     _ = f.write(b"not an image"); f.flush()
    ...     logo_problem(f.name)[0].endswith("is not a PNG image (its first bytes are not a PNG header)")
    True
    """
    path = Path(path)
    found, limits = [], []
    size = path.stat().st_size
    if size > MAX_BYTES:
        found.append(f"{_megabytes(size)} MB")
        limits.append(f"{_megabytes(MAX_BYTES)} MB")
    if path.suffix.lower() != ".svg":
        kind = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else path.suffix.lstrip(".").upper()
        pixels = image_size(path)
        if pixels is None:
            return (f"logo '{path.name}' is not a {kind} image (its first bytes are not a {kind} header)",
                    "export the logo again as PNG or JPEG and give that file in branding.logo")
        width, height = pixels
        if width > MAX_SIDE or height > MAX_SIDE:
            found.append(f"{width}×{height} px")
            limits.append(f"{MAX_SIDE}×{MAX_SIDE} px")
    if not found:
        return None
    return (f"logo '{path.name}' is {' and '.join(found)}; the limit is {' and '.join(limits)} "
            f"(it is embedded in every report page and PDF)",
            f"export the logo at most {MAX_SIDE} px wide and high and under {_megabytes(MAX_BYTES)} MB "
            f"(e.g. a PNG about 600 px wide), or an SVG without embedded photos")


def _megabytes(size: int) -> str:
    """``size`` bytes in MB (1 MB = 1024² bytes), rounded up to one decimal (just over the
    limit never shows as the limit).

    Examples
    --------
    >>> _megabytes(2 * 1024 * 1024), _megabytes(2 * 1024 * 1024 + 1), _megabytes(25_300_000)
    ('2', '2.1', '24.2')
    """
    return f"{math.ceil(size * 10 / 1024 / 1024) / 10:g}"
