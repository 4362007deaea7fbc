"""Network probes, standard library only (set-up uses them on a bare Python): ask a URL for an answer
within a deadline, DNS, proxies and reading included, and never hang."""

from __future__ import annotations

import base64
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

#: A user name and password inside a URL (`https://user:token@host/...`), wherever it appears in a text.
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#]*@")


@dataclass(frozen=True)
class Answer:
    """What a URL answered: `status` is None when nothing answered (the reason says why); `body` holds
    at most the first bytes asked for."""

    status: int | None
    reason: str
    content_type: str = ""
    body: bytes = b""


def redacted(text: str) -> str:
    """`text` (a URL, or a command line holding URLs) with every user name and password in a URL replaced
    by ``***`` (a private index's `https://user:token@host/simple`), so it can be printed."""
    return _CREDENTIALS.sub(r"\1***@", text)


def split_credentials(url: str) -> tuple[str, str | None]:
    """(`url` without its user name and password, the HTTP Basic ``Authorization`` value they make, or None).
    pip, requests and httpx send a URL's credentials this way; urllib would take them for part of the host
    name (`gaierror`), so an index or a mirror that needs them looked unreachable."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode("utf-8")).decode("ascii")
    return urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


def local_folder(location: str) -> Path | None:
    """The folder `location` names (a path, or a ``file:`` URL) when it is one on this machine; None otherwise."""
    if not location.strip():
        return None
    path = Path(urllib.request.url2pathname(urlsplit(location).path)) if location.startswith("file:") else Path(location)
    try:
        return path.expanduser() if path.expanduser().is_dir() else None
    except (OSError, ValueError):
        return None


def index_problem(index: str, where: str) -> str | None:
    """Why pip cannot use `index` (its index-url, set in `where`) as written, with the fix; None when it can.
    pip takes PIP_INDEX_URL as it is, spaces included, and reads an address without a scheme as a folder on this
    machine: either way it finds no package there and says "from versions: none", which reads like a refusing
    mirror. (A pip.conf value is read without the spaces around it.)"""
    shown = redacted(index)
    if where.startswith("PIP_") and index != index.strip():
        return (f"{where} is {shown!r:.100}, with spaces around it: pip takes it as it is, finds no package there and "
                f"reports \"from versions: none\" for every package. Fix: set {where} without the spaces "
                f"({where}={redacted(index.strip())[:100]}), then run again.")
    first = index.split()[0] if index.split() else ""
    if first and not first.startswith(("http://", "https://")) and local_folder(first) is None:
        return (f"pip's index ({where}) is {shown[:100]!r}, which has no https:// in front: pip takes it for a folder on this "
                "machine, finds none, and reports \"from versions: none\" for every package. Fix: write it with its "
                f"scheme, e.g. https://{redacted(first).split('://')[-1][:100]}, then run again.")
    return None


def fetch(url: str, timeout: float, method: str = "GET", max_bytes: int = 65536) -> Answer:
    """Ask `url` (HEAD or GET) and read at most `max_bytes` of the body, all within `timeout` seconds.

    Runs in a daemon thread, so a DNS lookup, a proxy or a server that accepts and then stalls cannot
    hold the caller past the deadline. Honours the usual proxy variables (HTTPS_PROXY, NO_PROXY), and a
    user name and password in the URL (sent as HTTP Basic authentication, never to a redirect's target)."""
    result: list[Answer] = []

    def ask() -> None:
        try:
            address, authorization = split_credentials(url)
            request = urllib.request.Request(address, method=method, headers={"User-Agent": "course-utils-probe"})
            if authorization:
                request.add_unredirected_header("Authorization", authorization)
            # An opener of its own: urlopen's shared one read the proxy variables once, at its first use.
            # The socket's own timeout a little past the deadline: a stall is then said as "no answer within
            # N s" by the join below, not, by a race under load, as a TimeoutError from inside urllib.
            with urllib.request.build_opener().open(request, timeout=timeout + 1) as response:  # noqa: S310
                body = response.read(max_bytes) if method == "GET" else b""
                result.append(Answer(response.status, f"answered {response.status}",
                                     response.headers.get("Content-Type", ""), body))
        except urllib.error.HTTPError as exc:
            result.append(Answer(exc.code, f"answered {exc.code}", exc.headers.get("Content-Type", "") if exc.headers else ""))
        except Exception as exc:  # noqa: BLE001 - any other failure means "not reachable"
            reason = getattr(exc, "reason", exc)
            result.append(Answer(None, f"unreachable: {type(reason).__name__}"))

    worker = threading.Thread(target=ask, daemon=True, name=f"probe {redacted(url)[:60]}")
    worker.start()
    worker.join(timeout)
    return result[0] if result else Answer(None, f"no answer within {timeout:g} s")


def head_status(url: str, timeout: float) -> tuple[int | None, str]:
    """(HTTP status, reason) of a HEAD request to `url`; the status is None when nothing answered in
    `timeout` seconds (see ``fetch``)."""
    answer = fetch(url, timeout, method="HEAD")
    return answer.status, answer.reason
