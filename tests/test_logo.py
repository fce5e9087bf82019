"""The logo limits (kpi_toolkit/logo.py): size from the header, refused at validation and in reports."""
from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import pytest
from nbformat.v4 import new_notebook
from PIL import Image

from kpi_toolkit.cli import app as cli

from kpi_toolkit.outputs import html as report
from kpi_toolkit.errors import ReportError
from kpi_toolkit.inputs.loading import read_client
from kpi_toolkit.inputs.logo import MAX_BYTES, MAX_SIDE, image_size, logo_problem

ROOT = Path(__file__).resolve().parent.parent


def picture(path: Path, width: int, height: int, noise: bool = False, **save) -> Path:
    """A real image file: white, or random pixels (which no format compresses) when `noise`."""
    image = (Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise
             else Image.new("RGB", (width, height), "white"))
    image.save(path, **save)
    return path


def with_logo(client_copy, make_fixtures, name: str) -> Path:
    folder = client_copy()
    make_fixtures.set_yaml(folder, "bonus_budget: 6000", f"bonus_budget: 6000\nbranding:\n  logo: {name}")
    return folder


@pytest.mark.parametrize("name, save", [
    ("a.png", {}), ("a.gif", {}), ("a.jpg", {}), ("a.jpg", {"progressive": True, "exif": b"Exif\0\0" + b"\0" * 30_000}),
    ("a.webp", {"lossless": False}), ("a.webp", {"lossless": True}), ("a.webp", {"exif": b"Exif\0\0x"}),
])
def test_the_pixel_size_is_read_from_the_header(tmp_path, name, save):
    path = picture(tmp_path / name, 1234, 567, **save)
    assert image_size(path) == (1234, 567) == Image.open(path).size


def test_a_header_claiming_a_huge_image_is_read_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    picture(path, 4, 2)
    data = bytearray(path.read_bytes())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # a decompression bomb's header; never decoded
    path.write_bytes(bytes(data))
    assert image_size(path) == (100_000, 100_000)
    assert "100000×100000 px" in logo_problem(path)[0]


def test_logo_25mb_embedded_in_every_report_is_refused_at_validation(client_copy, make_fixtures):
    """Issue 7 item 7: a huge logo was embedded whole in every HTML page and PDF."""
    folder = with_logo(client_copy, make_fixtures, "photo.png")
    picture(folder / "photo.png", 2400, 3000, noise=True)
    _, problems = read_client(folder)
    [problem] = [p for p in problems if p.column == "branding.logo"]
    assert problem.severity == "error" and problem.row == 9
    size = (folder / "photo.png").stat().st_size
    assert problem.message == (f"logo 'photo.png' is {math.ceil(size * 10 / 1024 / 1024) / 10:g} MB and 2400×3000 px; the limit is "
                               f"2 MB and 2000×2000 px (it is embedded in every report page and PDF)")
    assert problem.fix.startswith(f"export the logo at most {MAX_SIDE} px wide and high and under 2 MB")


@pytest.mark.parametrize("name, width, height, noise, found", [
    ("wide.png", 2001, 100, False, "2001×100 px"),
    ("tall.jpg", 300, 2500, False, "300×2500 px"),
    ("heavy.png", 900, 900, True, " MB;"),  # within the pixel limit, over the size limit
])
def test_a_logo_over_one_limit_is_refused(client_copy, make_fixtures, name, width, height, noise, found):
    folder = with_logo(client_copy, make_fixtures, name)
    picture(folder / name, width, height, noise=noise)
    _, problems = read_client(folder)
    [problem] = [p for p in problems if p.column == "branding.logo"]
    assert found in problem.message and "the limit is" in problem.message


def test_a_heavy_svg_is_refused_and_a_light_one_kept(client_copy, make_fixtures):
    folder = with_logo(client_copy, make_fixtures, "logo.svg")
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect width="200" height="60"/></svg>'
    (folder / "logo.svg").write_text(svg)
    client, problems = read_client(folder)
    assert client.config.branding["logo"] == folder / "logo.svg"
    (folder / "logo.svg").write_text(svg.replace("<rect", "<!--" + "x" * MAX_BYTES + "--><rect"))
    _, problems = read_client(folder)
    assert [p.message for p in problems if p.column == "branding.logo"] == [
        "logo 'logo.svg' is 2.1 MB; the limit is 2 MB (it is embedded in every report page and PDF)"]


def test_a_logo_that_is_not_an_image_is_refused(client_copy, make_fixtures):
    folder = with_logo(client_copy, make_fixtures, "logo.jpg")
    (folder / "logo.jpg").write_bytes(b"<html>saved from the website</html>")
    _, problems = read_client(folder)
    [problem] = [p for p in problems if p.column == "branding.logo"]
    assert problem.message == "logo 'logo.jpg' is not a JPEG image (its first bytes are not a JPEG header)"


def test_validate_refuses_a_huge_logo_and_names_it(client_copy, make_fixtures, capsys):
    folder = with_logo(client_copy, make_fixtures, "big.png")
    picture(folder / "big.png", 6000, 4000)
    assert cli.main(["validate", str(folder)]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "big.png" in text and "6000×4000 px" in text and "export the logo at most 2000 px" in text


def test_the_demo_logos_are_within_the_limits():
    for logo in ROOT.glob("clients/*/logo.*"):
        assert logo_problem(logo) is None, logo


def test_a_report_never_embeds_a_huge_logo(tmp_path):
    """The limit also holds when a notebook renders a report with a logo of its own choosing."""
    big = picture(tmp_path / "big.png", 3000, 200)
    with pytest.raises(ReportError, match=r"logo 'big.png' is 3000×200 px; the limit is 2000×2000 px"):
        report.render_notebook_html(new_notebook(), client_name="ACME", stage_title="Bonus", period_label="2026-09",
                                    language="en", date=dt.date(2026, 10, 5), logo_path=big)
