"""The widgets of executed notebooks, rendered by ipywidgets 7's front end and checked.

    python scripts/widget_page.py FOLDER   # probe every executed notebook under FOLDER

Colab renders ipywidgets 7.7.1, whose saved widget state (controls 1.5, base 1.2) the
version 7 HTML widget manager, ``@jupyter-widgets/html-manager`` 0.20, renders as well.
:func:`build_page` turns an executed notebook's widget state
(``metadata.widgets["application/vnd.jupyter.widget-state+json"]``) and views (the
``application/vnd.jupyter.widget-view+json`` outputs) into one standalone HTML page that
loads require.js and that manager's ``embed-amd.js`` from local files (npm package alias
``html-manager-7`` in package.json). The base widgets are bundled in ``embed-amd.js``; its
fallback for other modules points at a local folder that does not exist
(``data-jupyter-widgets-cdn``), so no request ever leaves 127.0.0.1.

:func:`probe_executed_notebooks` serves those pages on 127.0.0.1, opens them in Debian's
Chromium and checks every book widget with :mod:`widget_probe`; requests leaving
127.0.0.1, failed responses, page errors and console errors are problems too.
"""

from __future__ import annotations

import functools
import html
import json
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

from widget_probe import Finding, controls_operated, probe_widgets, widgets_found

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
#: Where the page's scripts live, relative to the page.
REQUIRE_JS = "vendor/require.js"
MANAGER_DIR = "vendor/html-manager-7/"
#: The manager's fallback for modules it does not bundle: local, and absent.
MISSING_CDN = "vendor/npm/"
#: Folders of a colab-check work folder that hold no executed chapter.
SKIPPED_FOLDERS = {"source", "home", "jupyter", ".ipynb_checkpoints"}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def widget_state(nb: dict) -> dict | None:
    """The saved widget state of notebook ``nb`` (a dict as read from JSON), or None."""
    return (nb.get("metadata", {}).get("widgets") or {}).get(STATE_MIME)


def widget_views(nb: dict) -> list[tuple[int, dict]]:
    """(cell index, view) of every widget view the notebook's outputs display."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW_MIME)
            if view is not None:
                found.append((index, view))
    return found


def _script_json(value: object) -> str:
    """JSON safe inside ``<script>``: every ``<`` escaped, which JSON.parse undoes."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def build_page(nb: dict, title: str = "widgets") -> str | None:
    """A standalone HTML page rendering the widget views of ``nb``; None if it has none.

    Raises ``ValueError`` when the notebook displays widgets but saved no state for them.
    """
    views = widget_views(nb)
    if not views:
        return None
    state = widget_state(nb)
    if state is None:
        raise ValueError(f"{len(views)} widget view(s) but no saved widget state")
    models = state.get("state", {})
    missing = [view.get("model_id") for _, view in views if view.get("model_id") not in models]
    if missing:
        raise ValueError(f"widget views without a model in the saved state: {missing[:5]}")
    outputs = "\n".join(
        f'<div class="output" data-cell="{index}">\n'
        f'<script type="{VIEW_MIME}">{_script_json(view)}</script>\n</div>'
        for index, view in views
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<script src="{REQUIRE_JS}"></script>
<script>
window.__jupyter_widgets_assets_path__ = new URL("{MANAGER_DIR}", document.baseURI).href;
</script>
<script src="{MANAGER_DIR}embed-amd.js" data-jupyter-widgets-cdn="{MISSING_CDN}"></script>
<script type="{STATE_MIME}">{_script_json(state)}</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
{outputs}
</body>
</html>
"""


def copy_vendor(out: Path, node_modules: Path = NODE_MODULES) -> None:
    """Copy require.js and html-manager 0.20 (npm alias ``html-manager-7``) under ``out``."""
    require = node_modules / "requirejs" / "require.js"
    manager = node_modules / "html-manager-7" / "dist"
    if not (require.is_file() and (manager / "embed-amd.js").is_file()):
        raise FileNotFoundError(
            f"{require} or {manager / 'embed-amd.js'} is missing: run `npm install` in {ROOT}"
        )
    (out / REQUIRE_JS).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(require, out / REQUIRE_JS)
    shutil.copytree(
        manager, out / MANAGER_DIR, ignore=shutil.ignore_patterns("*.map"), dirs_exist_ok=True
    )


def executed_notebooks(folder: Path) -> list[Path]:
    """The notebooks under ``folder``, without a colab-check folder's helper folders."""
    return sorted(
        path
        for path in folder.rglob("*.ipynb")
        if not SKIPPED_FOLDERS.intersection(path.relative_to(folder).parts[:-1])
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 in a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def chromium() -> str | None:
    """Debian's Chromium, or None."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def visit(browser, url: str, label: str, timeout_s: float = 60.0) -> list[Finding]:
    """Open ``url`` in a new page of ``browser``, probe its widgets, note what went wrong."""
    where = f"{label}: page"
    problems: list[str] = []
    page = browser.new_page()

    def leaves(address: str) -> bool:
        return not address.startswith(("data:", "blob:", "about:")) and (
            urlparse(address).hostname != "127.0.0.1"
        )

    page.on("request", lambda r: leaves(r.url) and problems.append(f"request left: {r.url}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"response {r.status}: {r.url}"),
    )
    page.on(
        "requestfailed",
        lambda r: leaves(r.url) or problems.append(f"request failed: {r.url}"),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"console error: {m.text}"),
    )
    # Requests that would leave this machine are recorded above and never sent.
    page.route(lambda address: leaves(address), lambda route: route.abort())
    try:
        page.goto(url, wait_until="load")
        findings = probe_widgets(page, label=label, timeout_s=timeout_s)
    except Exception as error:  # a page the probe cannot handle is a problem, not a crash
        findings = [Finding(where, "", False, f"{type(error).__name__}: {error}")]
    finally:
        page.close()
    findings += [Finding(where, "", False, problem) for problem in dict.fromkeys(problems)]
    return findings


def probe_executed_notebooks(folder: str | Path) -> list[Finding]:
    """Render the widgets of every executed notebook under ``folder`` with ipywidgets 7's
    HTML manager in Chromium and check them; return the findings (``not f.ok``: problem).

    ``folder`` is a ``make colab-check`` work folder (``<stem>/<stem>.ipynb`` per chapter;
    ``source``, ``home`` and ``jupyter`` folders are skipped) or any folder of notebooks.
    A notebook without widgets gives one ``ok`` finding saying so.
    """
    folder = Path(folder)
    notebooks = executed_notebooks(folder)
    if not notebooks:
        return [Finding(str(folder), "", False, "no notebook found")]
    executable = chromium()
    if executable is None:
        return [Finding("browser", "", False, "Chromium not found: apt-get install chromium")]
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="crossmodal-widgets-") as temp:
        out = Path(temp)
        try:
            copy_vendor(out)
        except FileNotFoundError as error:
            return [Finding("html-manager 0.20", "", False, str(error))]
        pages = []
        for path in notebooks:
            label = path.stem
            try:
                text = build_page(json.loads(path.read_text(encoding="utf-8")), label)
            except ValueError as error:
                findings.append(Finding(f"{label}: page", "", False, str(error)))
                continue
            if text is None:
                findings.append(Finding(f"{label}: page", "", True, "no widgets"))
                continue
            (out / f"{label}.html").write_text(text, encoding="utf-8")
            pages.append(label)
        if not pages:
            return findings
        from playwright.sync_api import sync_playwright

        with serve(out) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            try:
                for label in pages:
                    findings += visit(browser, f"{base_url}/{label}.html", label)
            finally:
                browser.close()
    return findings


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    findings = probe_executed_notebooks(argv[0])
    for finding in findings:
        print(finding)
    problems = [f for f in findings if not f.ok]
    print(
        f"widgets found: {widgets_found(findings)}; controls operated: "
        f"{controls_operated(findings)}; problems: {len(problems)}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
