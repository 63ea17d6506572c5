"""Grade a folder of submitted student notebooks into a gradebook (CSV).

    python scripts/grade.py SUBMISSIONS [--out gradebook.csv] [--checks private.py]
    make grade SUBMISSIONS=folder OUT=gradebook.csv [CHECKS=private.py]

A submission is a student-edition chapter with the exercise cells filled in:
``SUBMISSIONS/<student>.ipynb``, or ``SUBMISSIONS/<student>/<any name>.ipynb`` for students
who hand in several chapters. The chapter is recognised by its exercise labels. Each
exercise's check cell is replaced by the book's own check call (an edited or deleted check
cell changes nothing), and each submission runs top to bottom in its own kernel, working
directory, HOME and copy of the data cache, offline, with a time limit per notebook and
one per cell for the cells the student wrote or changed and the checks. A cell that raises
does not stop the run (the later exercises are graded from what ran); a cell over its
limit is interrupted, and the kernel is killed if it does not stop; a dead or killed
kernel leaves the exercises after it "not run".

Writes the gradebook (one row per student x exercise: status, score and the feedback the
student saw) and, beside it, ``<out>-summary.csv`` (one row per submission, one column per
exercise). The instructor guide (book/for_instructors.md) describes the workflow.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import csv
import importlib.util
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from student_edition import student_notebook

from crossmodal_helpers import datasets
from crossmodal_helpers.grading import VERDICT_MIME

ROOT = Path(__file__).resolve().parents[1]

EXERCISES = "crossmodal_helpers.exercises"
LABEL = re.compile(r"^[`:]{3,}\{exercise\}[^\n]*\n(?::[a-z]+:[^\n]*\n)*?:label: *(\S+)", re.M)
TIMEOUT_ENAME = "CellTimeout"
#: Seconds a kernel gets to stop after the interrupt at a cell's time limit.
INTERRUPT_GRACE = 10.0
COLUMNS = [
    "student",
    "notebook",
    "chapter",
    "exercise",
    "check",
    "status",
    "score",
    "feedback",
    "private_status",
    "private_feedback",
    "detail",
    "run",
]


@dataclass(frozen=True)
class Exercise:
    """One exercise of a reference chapter: its label, check call and answer cells."""

    label: str
    chapter: str
    check: ast.Call
    template: tuple[str, ...]

    @property
    def check_name(self) -> str:
        return ast.unparse(self.check.func)


@dataclass
class Graded:
    """One exercise of one submission: where its cells are in the prepared notebook."""

    exercise: Exercise
    first: int | None = None  # the exercise statement's cell
    grader: int | None = None  # the check cell the grader wrote
    attempted: bool = True
    cell: Any = None  # that check cell itself


@dataclass
class Run:
    """What happened when a prepared notebook ran: per-cell events and how it ended."""

    events: dict[int, tuple[str, str]] = field(default_factory=dict)
    outcome: str = "completed"
    expired: bool = False


# --- the reference: which exercises a chapter has and how each is checked ---


def exercise_names(cells: list[Any]) -> frozenset[str]:
    """The names a chapter's imports bind to ``crossmodal_helpers.exercises`` or its modules."""
    names = set()
    for cell in cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(
                    alias.asname
                    for alias in node.names
                    if alias.asname and alias.name.startswith(EXERCISES)
                )
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.update(
                    alias.asname or alias.name
                    for alias in node.names
                    if f"{node.module}.{alias.name}".startswith(EXERCISES)
                )
    return frozenset(names)


def _check_call(source: str, roots: frozenset[str]) -> ast.Call | None:
    """The call of a check cell, else None: one statement, a call of ``name.….check(...)``
    whose leftmost name is bound to the exercises package (``roots``)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if (
        len(body) != 1
        or not isinstance(body[0], ast.Expr)
        or not isinstance(body[0].value, ast.Call)
    ):
        return None
    call = body[0].value
    if not isinstance(call.func, ast.Attribute):
        return None
    root = call.func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return call if isinstance(root, ast.Name) and root.id in roots else None


def _labels(cell: Any) -> list[str]:
    return LABEL.findall(cell.source) if cell.cell_type == "markdown" else []


def reference_exercises(path: Path) -> list[Exercise]:
    """The exercises of a reference chapter, in order, as its student edition shows them."""
    cells = student_notebook(nbformat.read(path, as_version=4)).cells
    roots = exercise_names(cells)
    found = []
    for index, cell in enumerate(cells):
        for label in _labels(cell):
            template: list[str] = []
            for later in cells[index + 1 :]:
                if _labels(later):
                    break
                if later.cell_type != "code":
                    continue
                call = _check_call(later.source, roots)
                if call is not None:
                    found.append(Exercise(label, path.stem, call, tuple(template)))
                    break
                template.append(later.source.strip())
            else:
                raise ValueError(f"{path.name}: exercise {label} has no check cell after it")
    return found


def load_reference(folder: Path) -> dict[str, list[Exercise]]:
    """Every reference chapter's exercises, by chapter name."""
    if not folder.is_dir():
        raise SystemExit(f"--reference: no folder {folder}")
    chapters = {p.stem: reference_exercises(p) for p in sorted(folder.glob("*.ipynb"))}
    chapters = {name: found for name, found in chapters.items() if found}
    if not chapters:
        raise SystemExit(f"--reference: no notebook with exercises in {folder}")
    return chapters


def book_cells(folder: Path) -> frozenset[str]:
    """The code of every cell of the reference chapters (stripped), to tell the book's cells."""
    return frozenset(
        cell.source.strip()
        for path in folder.glob("*.ipynb")
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
    )


def load_private(path: Path | None, labels: set[str]) -> str | None:
    """The source of a private checks module, after checking that it defines ``CHECKS``."""
    if path is None:
        return None
    if not path.is_file():
        raise SystemExit(f"--checks: no file {path}")
    spec = importlib.util.spec_from_file_location("crossmodal_private_checks", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # an instructor's module can fail in any way
        raise SystemExit(f"--checks: {path} could not be imported: {err!r}") from None
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, dict) or not checks:
        raise SystemExit(f"--checks: {path} must define CHECKS, a dict label -> check function")
    unknown = sorted(set(checks) - labels)
    if unknown:
        raise SystemExit(f"--checks: {path} names unknown exercise labels: {', '.join(unknown)}")
    if not all(callable(check) for check in checks.values()):
        raise SystemExit(f"--checks: every value of CHECKS in {path} must be a function")
    return path.read_text(encoding="utf-8")


# --- preparing a submission: the book's check calls in place of the check cells ---


def grader_source(exercise: Exercise, private: str | None) -> str:
    """The check cell the grader runs: the book's check, its verdict recorded."""
    call = ast.Call(ast.Name("check"), exercise.check.args, exercise.check.keywords)
    return (
        "import crossmodal_helpers.grading as _grading\n\n"
        f"_grading.record({exercise.label!r}, {exercise.check_name}, "
        f"lambda check: {ast.unparse(call)}, private={private!r})"
    )


def prepare(
    nb: nbformat.NotebookNode, exercises: list[Exercise], private: str | None
) -> tuple[nbformat.NotebookNode, list[Graded]]:
    """A copy of ``nb`` whose check cells run the book's checks; where each exercise is."""
    cells = [nbformat.from_dict(cell) for cell in nb.cells]
    starts = {label: i for i, cell in enumerate(cells) for label in _labels(cell)}
    graded = []
    for exercise in exercises:
        item = Graded(exercise)
        graded.append(item)
        if exercise.label not in starts:
            continue
        first = starts[exercise.label]
        end = next((i for i in range(first + 1, len(cells)) if _labels(cells[i])), len(cells))
        span = [i for i in range(first + 1, end) if cells[i].cell_type == "code"]
        roots = frozenset({exercise.check_name.split(".")[0]})
        check = next(
            (
                i
                for i in span
                if (call := _check_call(cells[i].source, roots)) is not None
                and ast.unparse(call.func) == exercise.check_name
            ),
            None,
        )
        answers = [i for i in span if check is None or i < check]
        if check is None:  # put back after the answer cells, before the cells that follow
            answers = answers[: len(exercise.template)]
        item.attempted = tuple(cells[i].source.strip() for i in answers) != exercise.template
        cell = item.cell = nbformat.v4.new_code_cell(grader_source(exercise, private))
        if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5
            del cell["id"]
        if check is None:
            at = answers[-1] + 1 if answers else first + 1
            cells.insert(at, cell)
            starts = {k: v + (v >= at) for k, v in starts.items()}
        else:
            cells[check] = cell
    for item in graded:
        if item.exercise.label in starts:
            item.first = starts[item.exercise.label]
            item.grader = next(i for i, cell in enumerate(cells) if cell is item.cell)
    prepared = nbformat.from_dict(nb)
    prepared.cells = cells
    return prepared, graded


# --- running a submission in isolation ---


@dataclass(frozen=True)
class Settings:
    """How every submission is run."""

    reference: dict[str, list[Exercise]]
    book_cells: frozenset[str]
    private: str | None
    cell_limit: float
    limit: float
    cache: Path | None
    scratch: Path
    executed: Path | None


def isolated_env(folder: Path, cache: Path | None) -> dict[str, str]:
    """Environment of a submission's kernel: its own HOME and caches, offline."""
    home, site = folder / "home", folder / "site"
    for path in (home, site):
        path.mkdir(parents=True)
    (site / "sitecustomize.py").write_text(
        "from crossmodal_helpers.grading import block_network\n\nblock_network()\n",
        encoding="utf-8",
    )
    own_cache = folder / "cache"
    if cache is not None and cache.is_dir():
        shutil.copytree(cache, own_cache)
    python_path = [str(site), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        KERAS_HOME=str(home / ".keras"),
        PYTHONPATH=os.pathsep.join(p for p in python_path if p),
        CROSSMODAL_CACHE_DIR=str(own_cache),
        CROSSMODAL_RESULTS_DIR=str(folder / "results"),
        TF_CPP_MIN_LOG_LEVEL="3",
        PIP_NO_INDEX="1",
    )
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        env[proxy] = "http://127.0.0.1:9"  # the discard port: a download fails at once
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    return env


async def _responds(client: NotebookClient, grace: float) -> bool:
    """Whether the kernel answers an empty request within ``grace`` seconds."""
    msg_id = await ensure_async(client.kc.execute("", silent=True, store_history=False))
    deadline = monotonic() + grace
    while (left := deadline - monotonic()) > 0:
        try:
            reply = await ensure_async(client.kc.shell_channel.get_msg(timeout=left))
        except Empty:
            return False
        if reply["parent_header"].get("msg_id") == msg_id:
            return True
    return False


async def _kill(client: NotebookClient) -> None:
    if await ensure_async(client.km.is_alive()):
        await ensure_async(client.km.shutdown_kernel(now=True))


async def _kill_at(client: NotebookClient, seconds: float, run: Run) -> None:
    await asyncio.sleep(seconds)
    run.expired = True
    await _kill(client)


async def execute(
    nb: nbformat.NotebookNode, folder: Path, env: dict[str, str], settings: Settings
) -> Run:
    """Run ``nb`` in ``folder`` with ``env``; errors and time-outs go into the returned Run.

    Every cell but the book's own (budgeted and tested) gets the cell time limit.
    """
    run = Run()
    cell_limit = settings.cell_limit

    def timeout(cell: Any) -> float | None:
        return None if cell.source.strip() in settings.book_cells else cell_limit

    def on_error(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        content = execute_reply["content"]
        kind = "timeout" if content.get("ename") == TIMEOUT_ENAME else "error"
        run.events[cell_index] = (kind, f"{content.get('ename')}: {content.get('evalue')}")

    client = NotebookClient(
        nb,
        timeout_func=timeout,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": TIMEOUT_ENAME,
            "evalue": f"the cell ran longer than {cell_limit:g} s and was interrupted",
            "traceback": [],
        },
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        on_cell_error=on_error,
    )
    started = False
    try:
        async with client.async_setup_kernel(env=env):
            started = True
            watchdog = asyncio.ensure_future(_kill_at(client, settings.limit, run))
            try:
                await _execute_cells(client, run)
            finally:
                watchdog.cancel()
    except (RuntimeError, TimeoutError) as err:
        if started:
            raise
        run.outcome = f"kernel did not start: {err}"
    return run


async def _execute_cells(client: NotebookClient, run: Run) -> None:
    for index, cell in enumerate(client.nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            await client.async_execute_cell(cell, index)
        except DeadKernelError:
            if run.expired:
                run.events[index] = ("timeout", "killed at the notebook's time limit")
                run.outcome = f"notebook time limit (cell {index})"
            else:
                run.events[index] = ("crashed", "the kernel died")
                run.outcome = f"kernel died (cell {index})"
            return
        if run.events.get(index, ("",))[0] == "timeout" and not await _responds(
            client, INTERRUPT_GRACE
        ):
            run.events[index] = ("timeout", "ignored the interrupt at the cell time limit")
            run.outcome = f"cell time limit, kernel killed (cell {index})"
            await _kill(client)
            return
    if run.events:
        run.outcome = f"completed, {len(run.events)} cell(s) with errors or time-outs"


# --- reading the verdicts ---


def _verdict(cell: Any) -> dict[str, Any] | None:
    for output in cell.get("outputs", []):
        if VERDICT_MIME in output.get("data", {}):
            return output["data"][VERDICT_MIME]
    return None


def grade(nb: nbformat.NotebookNode, graded: list[Graded], run: Run) -> list[dict[str, Any]]:
    """One gradebook row (without the student columns) per exercise of the submission."""
    rows = []
    for item in graded:
        row = {"exercise": item.exercise.label, "check": item.exercise.check_name}
        row.update(status="missing", feedback="", private_status="", private_feedback="")
        row["detail"] = "the exercise's cells are not in the notebook"
        if item.first is not None:
            _grade_one(row, nb, item, run)
        row["score"] = int(row["status"] == "passed")
        rows.append(row)
    return rows


def _grade_one(row: dict[str, Any], nb: nbformat.NotebookNode, item: Graded, run: Run) -> None:
    events = [run.events[i] for i in range(item.first, item.grader + 1) if i in run.events]
    row["detail"] = "; ".join(f"{kind}: {text}" for kind, text in events)
    verdict = _verdict(nb.cells[item.grader])
    if verdict is None:
        kinds = [kind for kind, _ in events]
        row["status"] = next((k for k in ("timeout", "crashed", "error") if k in kinds), "not run")
        return
    public = verdict["public"]
    row["feedback"] = public["text"]
    passed = public["passed"]
    if "private" in verdict:
        passed = verdict["private"]["passed"]
        row["private_status"] = "passed" if passed else "failed"
        row["private_feedback"] = verdict["private"]["text"]
    if passed:
        row["status"] = "passed"
    else:
        row["status"] = "failed" if item.attempted else "not attempted"


# --- the command ---


@dataclass(frozen=True)
class Submission:
    """One submitted notebook and the student it belongs to."""

    student: str
    path: Path
    name: str  # the path inside the submissions folder


def find_submissions(folder: Path) -> list[Submission]:
    """``<student>.ipynb`` and ``<student>/**/*.ipynb`` in ``folder`` (checkpoints skipped)."""
    if not folder.is_dir():
        raise SystemExit(f"SUBMISSIONS: no folder {folder}")
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        relative = path.relative_to(folder)
        if ".ipynb_checkpoints" in relative.parts:
            continue
        student = relative.stem if len(relative.parts) == 1 else relative.parts[0]
        found.append(Submission(student, path, relative.as_posix()))
    if not found:
        raise SystemExit(f"SUBMISSIONS: no notebook (*.ipynb) in {folder}")
    return found


def _chapter(nb: nbformat.NotebookNode, reference: dict[str, list[Exercise]]) -> str | None:
    labels = {label for cell in nb.cells for label in _labels(cell)}
    shared = {name: len(labels & {e.label for e in found}) for name, found in reference.items()}
    best = max(shared, key=shared.__getitem__)
    return best if shared[best] else None


async def grade_submission(number: int, item: Submission, settings: Settings) -> list[dict]:
    """Run and grade one submission; its gradebook rows."""
    base = {"student": item.student, "notebook": item.name}
    try:
        nb = nbformat.read(item.path, as_version=4)
    except Exception as err:  # nbformat raises many kinds of errors on a damaged file
        return [{**base, "status": "unreadable", "score": 0, "detail": str(err)[:300]}]
    chapter = _chapter(nb, settings.reference)
    if chapter is None:
        detail = "no exercise of the book's chapters in this notebook"
        return [{**base, "status": "unrecognised", "score": 0, "detail": detail}]
    prepared, graded = prepare(nb, settings.reference[chapter], settings.private)
    folder = settings.scratch / f"{number:03d}"
    (folder / "work").mkdir(parents=True)
    env = isolated_env(folder, settings.cache)
    run = await execute(prepared, folder / "work", env, settings)
    if settings.executed is not None:
        target = settings.executed / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        for cell in prepared.cells:  # the private checks stay out of the kept notebooks
            cell.source = cell.source.replace(repr(settings.private), "'<private checks>'")
        nbformat.write(prepared, target)
    shutil.rmtree(folder, ignore_errors=True)
    base.update(chapter=chapter, run=run.outcome)
    return [{**base, **row} for row in grade(prepared, graded, run)]


async def grade_all(submissions: list[Submission], settings: Settings, jobs: int) -> list[dict]:
    """Grade every submission, ``jobs`` at a time; rows in submission order."""
    gate = asyncio.Semaphore(jobs)

    async def one(number: int, item: Submission) -> list[dict]:
        async with gate:
            print(f"grading {item.name} ({item.student})", flush=True)
            try:
                return await grade_submission(number, item, settings)
            except Exception as err:  # one broken submission must not stop the others
                print(f"could not grade {item.name}: {err!r}", file=sys.stderr)
                detail = f"the grader failed: {err!r}"[:300]
                return [
                    {
                        "student": item.student,
                        "notebook": item.name,
                        "status": "grader error",
                        "score": 0,
                        "detail": detail,
                    }
                ]

    results = await asyncio.gather(*(one(n, s) for n, s in enumerate(submissions)))
    return [row for rows in results for row in rows]


def write_gradebook(rows: list[dict], out: Path) -> Path:
    """Write the long gradebook to ``out`` and the wide summary beside it; the summary's path."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    labels = list(dict.fromkeys(row["exercise"] for row in rows if row.get("exercise")))
    summary: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["student"], row["notebook"])
        line = summary.setdefault(
            key, {**{c: row.get(c, "") for c in ("student", "notebook", "chapter")}, "score": 0}
        )
        line["run"] = row.get("run") or row["status"]
        line["score"] += row["score"]
        if row.get("exercise"):
            line[row["exercise"]] = row["status"]
    summary_path = out.with_name(f"{out.stem}-summary.csv")
    with summary_path.open("w", newline="", encoding="utf-8") as handle:
        fields = ["student", "notebook", "chapter", "score", *labels, "run"]
        writer = csv.DictWriter(handle, fields, restval="")
        writer.writeheader()
        writer.writerows(summary.values())
    return summary_path


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; bad arguments exit with a message that names them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--out", type=Path, default=Path("gradebook.csv"), help="gradebook CSV")
    parser.add_argument("--checks", type=Path, help="module of private checks (CHECKS dict)")
    parser.add_argument(
        "--reference",
        type=Path,
        default=ROOT / "notebooks",
        help="the book's chapters, where the exercises and checks come from",
    )
    parser.add_argument(
        "--cell-timeout",
        type=_positive,
        default=300.0,
        help="seconds per check cell and per cell the student wrote or changed (300)",
    )
    parser.add_argument(
        "--timeout", type=_positive, default=1200.0, help="seconds per notebook (1200)"
    )
    parser.add_argument("--jobs", type=_jobs, default=1, help="submissions run at once")
    parser.add_argument("--executed", type=Path, help="folder for the executed notebooks")
    args = parser.parse_args(argv)
    if not args.out.parent.resolve().is_dir():
        parser.error(f"--out: no folder {args.out.parent} to write {args.out.name} into")
    if args.out.suffix != ".csv":
        parser.error(f"--out: expected a .csv file name, got {args.out}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    submissions = find_submissions(args.submissions)
    reference = load_reference(args.reference)
    labels = {e.label for found in reference.values() for e in found}
    with tempfile.TemporaryDirectory(prefix="crossmodal-grade-") as scratch:
        settings = Settings(
            reference,
            book_cells(args.reference),
            load_private(args.checks, labels),
            args.cell_timeout,
            args.timeout,
            datasets.cache_dir(),
            Path(scratch),
            args.executed,
        )
        rows = asyncio.run(grade_all(submissions, settings, args.jobs))
    summary = write_gradebook(rows, args.out)
    passed = sum(row["score"] for row in rows)
    print(f"gradebook: {args.out} ({len(rows)} rows, {passed} passed); summary: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
