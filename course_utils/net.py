"""Network probes, standard library only (set-up uses them on a bare Python): ask a URL for an answer
within a deadline, DNS, proxies and reading included, and never hang."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """What a URL answered: `status` is None when nothing answered (the reason says why); `body` holds
    at most the first bytes asked for."""

    status: int | None
    reason: str
    content_type: str = ""
    body: bytes = b""


def fetch(url: str, timeout: float, method: str = "GET", max_bytes: int = 65536) -> Answer:
    """Ask `url` (HEAD or GET) and read at most `max_bytes` of the body, all within `timeout` seconds.

    Runs in a daemon thread, so a DNS lookup, a proxy or a server that accepts and then stalls cannot
    hold the caller past the deadline. Honours the usual proxy variables (HTTPS_PROXY, NO_PROXY)."""
    result: list[Answer] = []

    def ask() -> None:
        try:
            request = urllib.request.Request(url, method=method, headers={"User-Agent": "course-utils-probe"})
            # An opener of its own: urlopen's shared one read the proxy variables once, at its first use.
            with urllib.request.build_opener().open(request, timeout=timeout) as response:  # noqa: S310
                body = response.read(max_bytes) if method == "GET" else b""
                result.append(Answer(response.status, f"answered {response.status}",
                                     response.headers.get("Content-Type", ""), body))
        except urllib.error.HTTPError as exc:
            result.append(Answer(exc.code, f"answered {exc.code}", exc.headers.get("Content-Type", "") if exc.headers else ""))
        except Exception as exc:  # noqa: BLE001 - any other failure means "not reachable"
            reason = getattr(exc, "reason", exc)
            result.append(Answer(None, f"unreachable: {type(reason).__name__}"))

    worker = threading.Thread(target=ask, daemon=True, name=f"probe {url[:60]}")
    worker.start()
    worker.join(timeout)
    return result[0] if result else Answer(None, f"no answer within {timeout:g} s")


def head_status(url: str, timeout: float) -> tuple[int | None, str]:
    """(HTTP status, reason) of a HEAD request to `url`; the status is None when nothing answered in
    `timeout` seconds (see ``fetch``)."""
    answer = fetch(url, timeout, method="HEAD")
    return answer.status, answer.reason
