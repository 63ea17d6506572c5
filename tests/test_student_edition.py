"""The student edition's solution stripping (unit tests; the built edition is in tests/book)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import student_edition  # noqa: E402

EXERCISE = """Intro.

````{exercise} Sum
:label: ex-sum

Add the numbers.
````

````{solution} ex-sum
:class: dropdown

```python
total = sum(numbers)
```
````

:::{solution} ex-other
Colon-fenced answer.
:::

Outro.
"""


def test_solution_blocks_are_removed_and_exercises_kept():
    out = student_edition.strip_solutions(EXERCISE)
    assert "{exercise} Sum" in out and "Add the numbers." in out
    assert "Intro." in out and "Outro." in out
    assert "solution" not in out and "sum(numbers)" not in out and "Colon-fenced" not in out


def test_an_unclosed_solution_is_an_error():
    with pytest.raises(ValueError, match="never closed"):
        student_edition.strip_solutions("````{solution} x\nanswer\n")


def test_cells_tagged_solution_are_dropped():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(EXERCISE),
            nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
            nbformat.v4.new_code_cell("exercises.ch01.check(answer)"),
        ]
    )
    student = student_edition.student_notebook(nb)
    assert [c.cell_type for c in student.cells] == ["markdown", "code"]
    assert student.cells[1].source == "exercises.ch01.check(answer)"
    assert "{solution}" in nb.cells[0].source, "the original notebook must stay untouched"
