"""The grader (scripts/grade.py): bad arguments, how it finds exercises, and real gradings.

The slow test grades four real submissions of chapter 1 (right, wrong, crashing, hanging),
built here from the student edition; the quicker one runs a short notebook made of chapter
1's exercise cells to reach the notebook time limit and use private checks.
"""

from __future__ import annotations

import copy
import csv
import errno
import socket
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import grade  # noqa: E402
import student_edition  # noqa: E402

from crossmodal_helpers.grading import block_network  # noqa: E402

CHAPTER = ROOT / "notebooks" / "01_crossmodal_data.ipynb"
RIGHT = {
    "ex-ch01-class-means": "class_means = np.stack(\n"
    "    [digits.images[digits.target == k].mean(axis=0) for k in range(10)]\n)",
    "ex-ch01-which-kind": 'answers = {"a": "cross-modal", "b": "multimodal", "c": "cross-modal"}',
    "ex-ch01-leakage": "in_test = np.random.default_rng(1).random(len(rotten)) < 0.3\n"
    'seen = set(rotten.meta["movie"][~in_test])\n'
    'leaked = float(np.mean([m in seen for m in rotten.meta["movie"][in_test]]))',
    "ex-ch01-tags": "from collections import Counter\n\n"
    'tag_counts = dict(Counter(tag for tags in scenes.meta["tags"] for tag in tags))',
}
SLEEP = "import time\n\ntime.sleep(10**6)"
DEAF = "import signal\nimport time\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
DEAF += "    time.sleep(0.1)"
SUBMISSIONS = {
    "right": RIGHT,
    "wrong": {
        "ex-ch01-class-means": "class_means = digits.images[:10]",
        "ex-ch01-which-kind": 'answers = {"a": "multimodal", "b": "multimodal", "c": "multimodal"}',
        "ex-ch01-tags": 'tag_counts = {"COLOR": 1, "SHAPE": 1, "SIZE": 1, "POSITION": 1, "O": 1}',
    },
    "crash": {
        "ex-ch01-class-means": "class_means = 1 / 0",
        "ex-ch01-which-kind": RIGHT["ex-ch01-which-kind"],
        "ex-ch01-leakage": "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)",
    },
    "hang": {
        "ex-ch01-class-means": RIGHT["ex-ch01-class-means"],
        "ex-ch01-which-kind": DEAF,
    },
}


def student_chapter() -> nbformat.NotebookNode:
    return student_edition.student_notebook(nbformat.read(CHAPTER, as_version=4))


def answer(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with the answer cell that follows each exercise statement filled."""
    nb = copy.deepcopy(nb)
    for label, source in answers.items():
        start = next(i for i, cell in enumerate(nb.cells) if f":label: {label}\n" in cell.source)
        cell = next(c for c in nb.cells[start + 1 :] if c.cell_type == "code")
        assert "..." in cell.source, f"{label}: expected the answer template, got {cell.source}"
        cell.source = source
    return nb


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def statuses(rows: list[dict[str, str]], student: str) -> dict[str, str]:
    return {row["exercise"]: row["status"] for row in rows if row["student"] == student}


# --- bad arguments: each one stops with a message naming it ---


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--out", "missing-folder/gradebook.csv"], "--out: no folder"),
        (["--out", "gradebook.txt"], "--out: expected a .csv"),
        (["--cell-timeout", "0"], "positive number of seconds"),
        (["--timeout", "soon"], "expected a number of seconds"),
        (["--jobs", "0"], "whole number of at least 1"),
    ],
)
def test_bad_options_are_named(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        grade.main([str(tmp_path), *argv])
    assert message in capsys.readouterr().err


def test_a_missing_folder_and_an_empty_one_are_errors(tmp_path):
    with pytest.raises(SystemExit, match="SUBMISSIONS: no folder"):
        grade.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "g.csv")])
    (tmp_path / "empty" / ".ipynb_checkpoints").mkdir(parents=True)
    nbformat.write(student_chapter(), tmp_path / "empty" / ".ipynb_checkpoints" / "a.ipynb")
    with pytest.raises(SystemExit, match="SUBMISSIONS: no notebook"):
        grade.main([str(tmp_path / "empty"), "--out", str(tmp_path / "g.csv")])
    assert not (tmp_path / "g.csv").exists()


def test_a_reference_without_chapters_is_an_error(tmp_path):
    nbformat.write(student_chapter(), tmp_path / "alice.ipynb")
    out = ["--out", str(tmp_path / "g.csv")]
    with pytest.raises(SystemExit, match="--reference: no folder"):
        grade.main([str(tmp_path), *out, "--reference", str(tmp_path / "nowhere")])
    (tmp_path / "book").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "book" / "01_empty.ipynb")
    with pytest.raises(SystemExit, match="--reference: no notebook with exercises"):
        grade.main([str(tmp_path), *out, "--reference", str(tmp_path / "book")])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (None, "--checks: no file"),
        ("X = 1\n", "must define CHECKS"),
        ("import no_such_module\n", "could not be imported: ModuleNotFoundError"),
        ("CHECKS = {'ex-ch99-none': print}\n", "unknown exercise labels: ex-ch99-none"),
        ("CHECKS = {'ex-ch01-leakage': 3}\n", "must be a function"),
    ],
)
def test_bad_private_checks_are_errors(tmp_path, source, message):
    checks = tmp_path / "private.py"
    if source is not None:
        checks.write_text(source, encoding="utf-8")
    nbformat.write(student_chapter(), tmp_path / "alice.ipynb")
    with pytest.raises(SystemExit, match=message):
        grade.main([str(tmp_path), "--out", str(tmp_path / "g.csv"), "--checks", str(checks)])


def test_unreadable_and_unrecognised_notebooks_get_a_row(tmp_path):
    folder = tmp_path / "in"
    (folder / "bob").mkdir(parents=True)
    (folder / "alice.ipynb").write_text("not json", encoding="utf-8")
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), folder / "bob" / "x.ipynb"
    )
    out = tmp_path / "g.csv"
    assert grade.main([str(folder), "--out", str(out)]) == 0
    rows = read_rows(out)
    assert [(r["student"], r["notebook"], r["status"]) for r in rows] == [
        ("alice", "alice.ipynb", "unreadable"),
        ("bob", "bob/x.ipynb", "unrecognised"),
    ]


# --- finding the exercises ---


def test_every_chapter_exercise_has_a_check_cell():
    reference = grade.load_reference(ROOT / "notebooks")
    assert [e.label for e in reference["01_crossmodal_data"]] == list(RIGHT)
    assert all(len(found) >= 3 for found in reference.values())
    assert all(e.check_name.endswith(e.check.func.attr) for f in reference.values() for e in f)


def test_edited_and_deleted_check_cells_are_replaced_by_the_books():
    exercises = grade.reference_exercises(CHAPTER)
    nb = answer(student_chapter(), {"ex-ch01-which-kind": RIGHT["ex-ch01-which-kind"]})
    checks = [i for i, c in enumerate(nb.cells) if c.source.startswith("exercises.ch01.")]
    nb.cells[checks[0]].source = "exercises.ch01.class_means(digits.images[:10])  # edited"
    nb.cells[checks[2]].source = "print('all correct')"
    del nb.cells[checks[1]]
    prepared, graded = grade.prepare(nb, exercises, None)
    assert len(prepared.cells) == len(nb.cells) + 2  # two checks put back, one replaced
    sources = [c.source for c in prepared.cells]
    calls = [s for s in sources if "_grading.record(" in s]
    assert [e.check_name in call for e, call in zip(exercises, calls, strict=True)] == [True] * 4
    assert "# edited" not in "".join(sources)
    assert sources.index(calls[2]) == sources.index("print('all correct')") - 1
    assert [g.attempted for g in graded] == [False, True, False, False]
    assert [sources[g.grader] for g in graded] == calls


def test_the_network_guard_refuses_remote_addresses_only(monkeypatch):
    for name in ("connect", "connect_ex"):  # restored after the test
        monkeypatch.setattr(socket.socket, name, getattr(socket.socket, name))
    block_network()
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname(), timeout=5).close()
    with socket.socket() as remote:
        with pytest.raises(OSError, match="no network while grading"):
            remote.connect(("192.0.2.1", 80))
        assert remote.connect_ex(("192.0.2.1", 80)) == errno.ENETUNREACH


# --- real gradings ---


def short_chapter() -> nbformat.NotebookNode:
    """Chapter 1's "Multimodal or cross-modal?" (statement, answer, check) after one import."""
    cells = student_chapter().cells
    first = next(i for i, c in enumerate(cells) if ":label: ex-ch01-which-kind" in c.source)
    import_cell = nbformat.v4.new_code_cell("from crossmodal_helpers import exercises")
    return nbformat.v4.new_notebook(cells=[import_cell, *cells[first : first + 3]])


def test_time_limits_and_private_checks_on_a_short_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(grade, "INTERRUPT_GRACE", 2.0)
    folder = tmp_path / "in"
    folder.mkdir()
    short = short_chapter()
    online = "import os\nimport socket\n\nprint(os.environ['HOME'], os.getcwd())\n"
    online += "socket.create_connection(('192.0.2.1', 80), timeout=5)"
    answers = [("a", RIGHT["ex-ch01-which-kind"]), ("b", SLEEP), ("c", DEAF), ("e", online)]
    for student, which_kind in answers:
        nbformat.write(
            answer(short, {"ex-ch01-which-kind": which_kind}), folder / f"{student}.ipynb"
        )
    checks = tmp_path / "private.py"
    checks.write_text(
        "from crossmodal_helpers.exercises import Feedback\n\n\n"
        "def strict(answers):\n"
        "    return Feedback(answers.get('a') == 'multimodal', 'a private verdict')\n\n\n"
        "CHECKS = {'ex-ch01-which-kind': strict}\n",
        encoding="utf-8",
    )
    out = tmp_path / "g.csv"
    argv = [str(folder), "--out", str(out), "--checks", str(checks), "--jobs", "4"]
    argv += ["--executed", str(tmp_path / "ran"), "--cell-timeout", "10", "--timeout", "60"]
    assert grade.main(argv) == 0
    rows = read_rows(out)
    by = {(r["student"], r["exercise"]): r for r in rows}
    assert statuses(rows, "a") == {
        "ex-ch01-class-means": "missing",
        "ex-ch01-which-kind": "failed",  # the public check passes, the private one does not
        "ex-ch01-leakage": "missing",
        "ex-ch01-tags": "missing",
    }
    which = by["a", "ex-ch01-which-kind"]
    assert which["feedback"].startswith("Correct:") and which["private_status"] == "failed"
    assert which["private_feedback"] == "Not yet: a private verdict"
    kept = (tmp_path / "ran" / "a.ipynb").read_text(encoding="utf-8")
    assert "<private checks>" in kept and "def strict" not in kept
    # b's cell stops at the interrupt and the run goes on; c's ignores it and is killed
    assert statuses(rows, "b")["ex-ch01-which-kind"] == "timeout"
    assert "interrupted" in by["b", "ex-ch01-which-kind"]["detail"]
    assert by["b", "ex-ch01-which-kind"]["run"].startswith("completed")
    assert statuses(rows, "c")["ex-ch01-which-kind"] == "timeout"
    assert "ignored the interrupt" in by["c", "ex-ch01-which-kind"]["detail"]
    assert by["c", "ex-ch01-which-kind"]["run"].startswith("cell time limit, kernel killed")
    # e runs offline, in a HOME and a working directory of its own
    assert statuses(rows, "e")["ex-ch01-which-kind"] == "error"
    assert "no network while grading" in by["e", "ex-ch01-which-kind"]["detail"]
    ran = nbformat.read(tmp_path / "ran" / "e.ipynb", as_version=4)
    home, cwd = next(o.text for c in ran.cells for o in c.get("outputs", []) if "text" in o).split()
    assert Path(home).name == "home" and Path(cwd).name == "work" and Path(home) != Path.home()


def test_the_notebook_limit_stops_cells_that_each_stay_within_the_cell_limit(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    slow = answer(short_chapter(), {"ex-ch01-which-kind": RIGHT["ex-ch01-which-kind"]})
    slow.cells[1:1] = [nbformat.v4.new_code_cell("import time\n\ntime.sleep(3)") for _ in range(4)]
    nbformat.write(slow, folder / "d.ipynb")
    out = tmp_path / "g.csv"
    assert (
        grade.main([str(folder), "--out", str(out), "--cell-timeout", "10", "--timeout", "5"]) == 0
    )
    row = next(r for r in read_rows(out) if r["exercise"] == "ex-ch01-which-kind")
    assert row["status"] == "not run" and row["run"].startswith("notebook time limit (cell ")


@pytest.mark.slow
def test_a_folder_of_chapter_1_submissions_gives_a_gradebook(tmp_path, monkeypatch):
    monkeypatch.setattr(grade, "INTERRUPT_GRACE", 2.0)
    folder = tmp_path / "submissions"
    folder.mkdir()
    for student, answers in SUBMISSIONS.items():
        nbformat.write(answer(student_chapter(), answers), folder / f"{student}.ipynb")
    out = tmp_path / "gradebook.csv"
    argv = [str(folder), "--out", str(out), "--jobs", "4", "--executed", str(tmp_path / "ran")]
    assert grade.main([*argv, "--cell-timeout", "30", "--timeout", "1200"]) == 0
    rows = read_rows(out)
    assert len(rows) == 16 and {r["chapter"] for r in rows} == {"01_crossmodal_data"}
    assert statuses(rows, "right") == dict.fromkeys(RIGHT, "passed")
    assert statuses(rows, "wrong") == {
        "ex-ch01-class-means": "failed",
        "ex-ch01-which-kind": "failed",
        "ex-ch01-leakage": "not attempted",
        "ex-ch01-tags": "failed",
    }
    assert statuses(rows, "crash") == {
        "ex-ch01-class-means": "error",
        "ex-ch01-which-kind": "passed",
        "ex-ch01-leakage": "crashed",
        "ex-ch01-tags": "not run",
    }
    assert statuses(rows, "hang") == {
        "ex-ch01-class-means": "passed",
        "ex-ch01-which-kind": "timeout",
        "ex-ch01-leakage": "not run",
        "ex-ch01-tags": "not run",
    }
    by = {(r["student"], r["exercise"]): r for r in rows}
    assert all(by["right", label]["feedback"].startswith("Correct:") for label in RIGHT)
    assert by["wrong", "ex-ch01-which-kind"]["feedback"].startswith("Not yet:")
    assert "ZeroDivisionError" in by["crash", "ex-ch01-class-means"]["detail"]
    assert by["crash", "ex-ch01-leakage"]["run"].startswith("kernel died")
    assert "ignored the interrupt" in by["hang", "ex-ch01-which-kind"]["detail"]
    summary = read_rows(tmp_path / "gradebook-summary.csv")
    assert {r["student"]: int(r["score"]) for r in summary} == {
        "right": 4,
        "wrong": 0,
        "crash": 1,
        "hang": 1,
    }
    assert (tmp_path / "ran" / "right.ipynb").is_file()


def test_a_template_call_between_an_exercise_and_its_check_is_not_taken_for_the_check(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from crossmodal_helpers import exercises\nimport numpy as np"),
        nbformat.v4.new_markdown_cell("````{exercise} Means\n:label: ex-t-means\n\nText.\n````"),
        nbformat.v4.new_code_cell("means = ...  # your answer"),
        nbformat.v4.new_code_cell("np.mean(means)"),
        nbformat.v4.new_code_cell("exercises.ch01.class_means(means)"),
    ]
    path = tmp_path / "01_t.ipynb"
    nbformat.write(nb, path)
    (found,) = grade.reference_exercises(path)
    assert found.check_name == "exercises.ch01.class_means"
    assert found.template == ("means = ...  # your answer", "np.mean(means)")


def test_check_calls_are_found_through_an_import_alias():
    cells = [
        nbformat.v4.new_code_cell("import crossmodal_helpers.exercises.appendix as checks"),
        nbformat.v4.new_code_cell("from crossmodal_helpers.exercises import ch02"),
        nbformat.v4.new_code_cell("import numpy as np"),
    ]
    assert grade.exercise_names(cells) == {"checks", "ch02"}
