"""The filed PDF of each spec example, end to end: built twice from the report folder as
`tanping build` builds it, then read back with poppler and pypdf as a reviewer would."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from tanping.calc.pipeline import compute
from tanping.templates.publish import export_pdf

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

#: Headline figures of spec §7 as printed (2 decimals; C tables in 万tCO₂e).
HEADLINES = {
    "spec-project": ["8,683.86", "8,395.57", "433.00", "16,646.43", "7,962.57", "233.21", "198.17"],
    "spec-park": ["136.37", "171.09", "25.44", "121.98"],
}


@pytest.fixture(scope="module", params=sorted(HEADLINES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    slug = request.param
    folder = tmp_path_factory.mktemp(slug) / slug
    shutil.copytree(ROOT / "content" / slug, folder)
    first = export_pdf(folder, folder.parent / "a.pdf")
    second = export_pdf(folder, folder.parent / "b.pdf")
    return slug, folder, first, second


def _text(pdf: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_two_builds_give_identical_bytes(built: tuple) -> None:
    _, _, first, second = built
    assert first.read_bytes() == second.read_bytes()


def test_every_font_is_embedded_and_noto_cjk(built: tuple) -> None:
    _, _, pdf, _ = built
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), f"font not embedded/subset: {row}"
    names = out.replace("-", "")
    assert "NotoSerifCJKSC" in names and "NotoSansCJKSC" in names


def test_contents_has_page_numbers_and_the_headline_figures(built: tuple) -> None:
    slug, _, pdf, _ = built
    contents = _text(pdf, "-f", "2", "-l", "3")
    assert "目" in contents and "录" in contents
    entries = re.findall(r"^\s*\d+(?:\.\d+)?\s+\S.*?(?:\.\s){3,}.*?(\d+)\s*$", contents, re.M)
    assert len(entries) >= 3, contents
    body = _text(pdf)
    for figure in HEADLINES[slug]:
        assert figure in body, f"{figure} missing from the {slug} PDF"
    assert re.search(r"第\s*1\s*页\s*共\s*\d+\s*页", body)


def test_the_ledger_is_attached_and_equals_the_calculation(built: tuple) -> None:
    _, folder, pdf, _ = built
    attachments = pypdf.PdfReader(str(pdf)).attachments
    assert "ledger.json" in attachments
    attached = json.loads(attachments["ledger.json"][0])
    assert attached == compute(folder).ledger.to_dict()


def test_pdf_a_variant_is_checked(tmp_path: Path) -> None:
    from tanping.cli import main
    from tanping.templates.pdf import PrintError, check_pdf_a

    folder = tmp_path / "spec-project"
    shutil.copytree(ROOT / "content" / "spec-project", folder)
    archive, plain = tmp_path / "a.pdf", tmp_path / "p.pdf"
    assert main(["pdf", str(folder), "-o", str(archive), "--pdf-a"]) == 0
    assert main(["pdf", str(folder), "-o", str(plain)]) == 0
    check_pdf_a(archive.read_bytes())
    with pytest.raises(PrintError, match="PDF/A-3b"):
        check_pdf_a(plain.read_bytes())
