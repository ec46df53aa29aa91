"""Damaged .xlsx files through the real CLI: one line naming the file and the part, exit
non-zero, the file left byte for byte as it was."""

import subprocess
import sys
import zipfile

import pytest

from spoolsheet.sample import generate, write_xlsx


@pytest.fixture
def sample(tmp_path):
    return write_xlsx(tmp_path / "Kronos.xlsx", generate(spools=20, seed=3))


def corrupt_member(path, member):
    """Overwrite bytes inside one member's compressed data (its CRC no longer matches)."""
    info = zipfile.ZipFile(path).getinfo(member)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10:start + 30] = b"\xff" * 20
    path.write_bytes(bytes(data))


def replace_member(path, member, content):
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info.filename, content if info.filename == member else data)


def run(path, *args):
    return subprocess.run([sys.executable, "-m", "spoolsheet", "--workbook", str(path), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [["migrate", "status"], ["spools"],
                                     ["tomar", "MK-1", "--worker", "1", "--op", "ARM"]])
@pytest.mark.parametrize("damage", ["zlib", "xml", "not-a-zip"])
def test_a_damaged_file_is_one_line_and_stays_as_it_was(sample, command, damage):
    # a part the command reads: status reads Metadata (sheet4), not Operaciones (sheet1)
    member = "xl/worksheets/sheet4.xml" if command[0] == "migrate" else "xl/worksheets/sheet1.xml"
    if damage == "zlib":
        corrupt_member(sample, member)
        words = [member, "damaged"]
    elif damage == "xml":
        replace_member(sample, member, "<worksheet><sheetData><row r=")
        words = [member, "damaged"]
    else:
        sample.write_bytes(b"PK not really a zip, just bytes that start like one")
        words = ["not an .xlsx workbook"]
    before = sample.read_bytes()
    done = run(sample, *command)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(sample) in lines[0] and all(w in lines[0] for w in words), lines[0]
    assert sample.read_bytes() == before
