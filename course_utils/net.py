"""One network probe, standard library only (set-up uses it on a bare Python): ask a URL for its
headers within a deadline, DNS included, and never hang."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request


def head_status(url: str, timeout: float) -> tuple[int | None, str]:
    """(HTTP status, reason) of a HEAD request to `url`; the status is None when nothing answered in
    `timeout` seconds. Runs in a daemon thread, so a DNS lookup that hangs cannot hold the caller."""
    result: list[tuple[int | None, str]] = []

    def ask() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout) as response:  # noqa: S310
                result.append((response.status, f"answered {response.status}"))
        except urllib.error.HTTPError as exc:
            result.append((exc.code, f"answered {exc.code}"))
        except Exception as exc:  # noqa: BLE001 - any other failure means "not reachable"
            reason = getattr(exc, "reason", exc)
            result.append((None, f"unreachable: {type(reason).__name__}"))

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(timeout)
    return result[0] if result else (None, f"no answer within {timeout:g} s")
