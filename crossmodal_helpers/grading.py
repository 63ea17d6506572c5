"""The kernel side of the grader: record a self-check's verdict, keep a submission offline.

Introduced in the instructor guide ("Grading in one command"); ``scripts/grade.py`` runs
each submitted notebook with its check cells replaced by calls to :func:`record`, and with
:func:`block_network` switched on in every Python process of the submission.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import types
from collections.abc import Callable
from typing import Any

from crossmodal_helpers.exercises import Feedback

#: MIME type of the machine-readable verdict a graded check cell displays.
VERDICT_MIME = "application/vnd.crossmodal.verdict+json"


def _as_record(feedback: Any) -> dict[str, Any]:
    if not isinstance(feedback, Feedback):
        return {
            "passed": False,
            "text": f"the check returned {type(feedback).__name__}, not a Feedback",
        }
    return {"passed": bool(feedback.passed), "text": str(feedback)}


def _load_private(source: str) -> dict[str, Callable[..., Any]]:
    module = types.ModuleType("crossmodal_private_checks")
    exec(compile(source, "<private checks>", "exec"), module.__dict__)
    return module.CHECKS


def record(
    label: str,
    check: Callable[..., Any],
    call: Callable[[Callable[..., Any]], Any],
    private: str | None = None,
) -> None:
    """Run exercise ``label``'s check as ``call(check)``; display what the student sees.

    Introduced in the instructor guide. The output holds the feedback as text (what the
    student saw) and, under :data:`VERDICT_MIME`, the verdict for the gradebook. With
    ``private`` (the source of a module whose ``CHECKS`` maps exercise labels to checks),
    the private check for ``label``, if any, is called with the same arguments and its
    verdict is recorded too; only the grader sees it.
    """
    from IPython.display import display

    verdict = {"label": label, "public": _as_record(call(check))}
    if private is not None:
        private_check = _load_private(private).get(label)
        if private_check is not None:
            try:
                verdict["private"] = _as_record(call(private_check))
            except Exception as err:  # an instructor's check must not hide the public verdict
                text = f"the private check raised {type(err).__name__}: {err}"
                verdict["private"] = {"passed": False, "text": text}
    display({"text/plain": verdict["public"]["text"], VERDICT_MIME: verdict}, raw=True)


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket path
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def block_network() -> None:
    """Refuse every connection to a non-loopback address from this Python process.

    Introduced in the instructor guide. Graded submissions run offline: a download fails at
    once with ``OSError`` (ENETUNREACH) instead of reaching the internet. It guards Python's
    ``socket`` module only, so it keeps honest code offline; it is not a sandbox.
    """
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if not _is_local(address):
            raise OSError(errno.ENETUNREACH, f"no network while grading: {address!r}")
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        return connect_ex(self, address) if _is_local(address) else errno.ENETUNREACH

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
