"""The API reference page documents every public module of the helper package."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crossmodal_helpers"


def _modules() -> list[str]:
    return sorted(
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())
    )


def test_every_module_has_a_section():
    page = (ROOT / "book" / "api.md").read_text(encoding="utf-8")
    modules = _modules()
    missing = [m for m in modules if f".. automodule:: crossmodal_helpers.{m}" not in page]
    assert not missing, f"book/api.md lacks {missing}"


def test_every_module_is_reachable_from_the_package():
    import crossmodal_helpers

    assert sorted(crossmodal_helpers._SUBMODULES) == _modules()
