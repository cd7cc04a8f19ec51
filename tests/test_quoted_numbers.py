"""Every measured number the README and the docs quote is in a saved output.

A passage that quotes measurements starts with a marker naming the saved
outputs of the benchmark scripts that printed them (``benchmarks/results/``,
written by every script)::

    .. quoted from: benchmarks/results/quality-2026-12-06.txt

(``<!-- quoted from: ... -->`` in Markdown). The marker holds until the next
marker or section heading. Every decimal number, and every integer given in
s, ms, MiB or MB, in the prose of that passage must appear in one of those
files; outside a marked passage only the settings in ``SETTINGS`` may appear.
Code, literals and doctests are not prose: the doctests and the README's
quickstart block are run by other tests. When the model changes, rerun the
scripts, quote their new outputs and point the markers at them.
"""

# SPDX-License-Identifier: BSD-3-Clause

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# sg_execution_times.rst is written by the docs build.
DOCUMENTS = ["README.md"] + [
    f"docs/{path.name}"
    for path in sorted((ROOT / "docs").glob("*.rst"))
    if path.name != "sg_execution_times.rst"
]

# Numbers that are settings, definitions or thresholds, not measurements.
SETTINGS = {
    "0.3",  # code_weight's default; 30 % held out
    "1.5",  # the outlier rule's interquartile multiple
    "2.5",  # standard errors a gain must clear
    "0.75",  # the shares of the correction that early_stopping="auto" scores
    "0.5",
    "0.25",
    "2.87",  # standard errors a share's gain must clear
}

_MARKER = re.compile(r"^\s*(?:\.\.|<!--) quoted from: (?P<files>[^>]+?)\s*(?:-->)?$")
_HEADING = re.compile(r"^(?:#+ |[=\-~^\"]{3,}$)")
_NUMBER = re.compile(r"(?<![\w.])\d+\.\d+(?!\.?\d)")
_WITH_UNIT = re.compile(r"(?<![\w.])(\d{1,3}(?: \d{3})+|\d+) ?(?:s|ms|MiB|MB)\b")
_NOT_PROSE = [
    re.compile(r"``.*?``|`[^`]*`_?|:\w+:`[^`]*`"),  # literals, links, roles
    re.compile(r"\b\d+\.\d+\.\d+\b|(?:>= ?|Python |releases? before )\d+(?:\.\d+)*"),
    re.compile(r"\b(?:doi:|https?://)\S+"),  # references
    re.compile(r"\b\d+e-?\d+\b|\^\d"),  # settings written as powers
]


_CODE_DIRECTIVE = re.compile(r"^\s*\.\. (?:code-block|code|doctest|testcode|math)::")


def prose_lines(text):
    """Yield ``(line number, line)`` of prose: no code blocks or doctests."""
    fenced, doctest, code_indent = False, False, None
    for number, line in enumerate(text.splitlines(), 1):
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        if line.startswith("```"):
            fenced = not fenced
            continue
        if code_indent is not None and (not stripped or indent > code_indent):
            continue
        code_indent = None
        doctest = bool(stripped) and (doctest or stripped.startswith(">>>"))
        if fenced or doctest:
            continue
        yield number, line
        literal = stripped.endswith("::") and not stripped.startswith("..")
        if literal or _CODE_DIRECTIVE.match(line):
            code_indent = indent


def quotations(path):
    """Yield ``(line number, number, saved outputs)`` for each quoted number."""
    sources, lines = None, list(prose_lines(path.read_text()))
    for index, (number, line) in enumerate(lines):
        marker = _MARKER.match(line)
        following = lines[index + 1][1] if index + 1 < len(lines) else ""
        if marker:
            sources = [s.strip() for s in marker["files"].split(",")]
            continue
        if _HEADING.match(line) or _HEADING.match(following) and line.strip():
            sources = None
        for pattern in _NOT_PROSE:
            line = pattern.sub(" ", line)
        found = _NUMBER.findall(line) + _WITH_UNIT.findall(line)
        for value in found:
            yield number, value, sources


@cache
def printed(sources):
    """The numbers the saved outputs print, without thousands separators."""
    paths = [ROOT / source for source in sources]
    text = " ".join(path.read_text() for path in paths if path.is_file())
    return set(re.findall(r"\d+(?:\.\d+)?", text.replace("\u2009", "")))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_quoted_numbers_are_printed_by_a_script(document):
    missing = []
    for line, value, sources in quotations(ROOT / document):
        plain = value.replace(" ", "")
        if value in SETTINGS:
            continue
        if sources is None:
            missing.append(f"{document}:{line}: {value} quotes no saved output")
        elif plain not in printed(tuple(sources)):
            missing.append(f"{document}:{line}: {value} is not in {', '.join(sources)}")
    assert not missing, "\n".join(missing)


def test_markers_name_saved_outputs():
    for document in DOCUMENTS:
        for line in (ROOT / document).read_text().splitlines():
            if marker := _MARKER.match(line):
                for source in marker["files"].split(","):
                    assert (ROOT / source.strip()).is_file(), f"{document}: {source}"


def test_the_check_reads_prose_markers_and_code_as_documented(tmp_path):
    document = tmp_path / "page.rst"
    document.write_text(
        "Unmarked 0.25 here.\n\n"
        ".. quoted from: out.txt\n\n"
        "Quoted 0.640x and 12 s, ``alpha=0.01`` and Python 3.11.\n\n"
        "::\n\n    code 9.99\n\n"
        ">>> 7.77\n7.77\n\n"
        "Heading\n-------\n\n"
        "After 1.5 and 0.75.\n"
    )
    found = [(value, sources) for _, value, sources in quotations(document)]
    assert found == [
        ("0.25", None),
        ("0.640", ["out.txt"]),
        ("12", ["out.txt"]),
        ("1.5", None),
        ("0.75", None),
    ]
