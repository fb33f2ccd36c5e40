"""Every file in broken_matrices/ is refused with one message a user can act on.

Each file is broken in exactly one way and starts with ``# error: <text>`` lines: the
texts the message must contain. A text such as ``, line 9: expect.alice.push`` also
says the line the message must name; a file whose texts name no line is broken as a
whole (a section missing, a top level that is no mapping) and its message names none.
"""

import contextlib
import re
import time
from pathlib import Path

import pytest

from harness.errors import MatrixFileError
from harness.matrix import load_matrix

CORPUS = Path(__file__).parent / "broken_matrices"
FILES = sorted(CORPUS.glob("*.yaml"))
_LINE = re.compile(r", line (\d+):")


def _expected_texts(path: Path) -> list[str]:
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# error:"):
            break
        texts.append(line.removeprefix("# error:").strip())
    return texts


def test_corpus_holds_enough_files_each_saying_what_to_expect():
    assert len(FILES) >= 24
    assert [path.stem for path in FILES if not _expected_texts(path)] == []


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_broken_matrix_is_refused_naming_file_line_and_problem(path, monkeypatch):
    monkeypatch.delenv("UNSET_VARIABLE_XYZ", raising=False)
    expected = _expected_texts(path)

    with pytest.raises(MatrixFileError) as caught:
        load_matrix(path)

    message = str(caught.value)
    assert str(path) in message
    assert [text for text in expected if text not in message] == [], message
    # The line named is the one the file's comment names, or none for the whole file.
    assert set(_LINE.findall(message)) == set(_LINE.findall(" ".join(expected)))
    assert "Traceback" not in message


def test_whole_corpus_is_judged_within_a_second(monkeypatch):
    monkeypatch.delenv("UNSET_VARIABLE_XYZ", raising=False)
    started = time.perf_counter()
    for path in FILES:
        # Speed only: what each file must raise is checked above.
        with contextlib.suppress(Exception):
            load_matrix(path)
    assert time.perf_counter() - started < 1.0
