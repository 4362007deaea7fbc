"""Mirrors and proxies, with local stand-in servers: a Hugging Face mirror that answers, one that refuses
(403), one that stalls; a mirror written without https://; HF_ENDPOINT set after huggingface_hub was
imported; a captive portal and a proxy that accepts and then stalls; a pip index that answers, refuses
(TUNA's firewall: pip then says "from versions: none") or stalls."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils import doctor, hub
from course_utils.errors import CourseError, ResolutionError
from tests.conftest import save_tiny_bert
from tests.standin_hub import (PROXY_VARIABLES, Behaviour, StallingProxy, StandIn, go_online, repo_from_folder,
                                simple_index, use_mirror)

ROOT = Path(__file__).resolve().parents[1]
@pytest.fixture
def online(hf_home, monkeypatch):
    """No offline flag set, no proxy: the Hub (or whatever HF_ENDPOINT names) is asked."""
    go_online(monkeypatch)
    return hf_home


@pytest.fixture
def tiny_repo(tmp_path):
    folder = tmp_path / "tiny-bert-files"
    save_tiny_bert(folder)
    return repo_from_folder(folder)


# --------------------------------------------------------------------------- a Hugging Face mirror

def test_a_mirror_that_answers_serves_the_model_and_the_line_says_so(online, monkeypatch, tiny_repo, capsys):
    with StandIn({"course-tests/tiny-bert": tiny_repo}) as mirror:
        use_mirror(monkeypatch, mirror.url)
        assert hub.hub_status() == (True, "reachable")
        path = hub.model_path("course-tests/tiny-bert")
        assert any(request.startswith("GET /course-tests/tiny-bert/resolve/") for request in mirror.behaviour.requests)
    assert capsys.readouterr().out == "course-tests/tiny-bert: Hub (downloaded from the mirror in HF_ENDPOINT and cached)\n"
    from transformers import AutoModel

    assert AutoModel.from_pretrained(path).config.hidden_size == 16
    # What the mirror sent is now cached, in the Hub's layout (links to blobs named by their hashes): the
    # next load uses it without asking anyone.
    assert hub.resolve_model("course-tests/tiny-bert").source == "local cache"
    assert (Path(path) / "model.safetensors").is_symlink()
    doctor_line = doctor.check_hub()
    assert doctor_line.status == "OK" and doctor_line.detail == f"the mirror {mirror.url} (HF_ENDPOINT) answers"


def test_the_courses_own_loads_follow_an_hf_endpoint_set_after_import(online, monkeypatch, tiny_repo):
    """huggingface_hub read HF_ENDPOINT at import (here: the Hub's address); the learner sets the mirror
    afterwards. Stock calls still go to the Hub (the doctor and setup() say so); the course's loads pass the
    address explicitly, so they reach the mirror."""
    import huggingface_hub.constants

    with StandIn({"course-tests/tiny-bert": tiny_repo}) as mirror:
        monkeypatch.setenv("HF_ENDPOINT", mirror.url)
        assert huggingface_hub.constants.ENDPOINT == "https://huggingface.co"
        assert hub.resolve_model("course-tests/tiny-bert").source == "Hub"
        assert doctor.check_hub().status == "FAIL"
    assert "GET /course-tests/tiny-bert/resolve/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678/model.safetensors" in mirror.behaviour.requests


def test_a_mirror_that_refuses_is_named_and_the_offline_copy_used_within_seconds(online, monkeypatch, capsys):
    with StandIn(behaviour=Behaviour(status=403)) as mirror:
        use_mirror(monkeypatch, mirror.url)
        start = time.perf_counter()
        hub.model_path("bert-base-uncased")
        assert time.perf_counter() - start < 5
        check = doctor.check_hub()
    assert capsys.readouterr().out.startswith("bert-base-uncased: offline copy")
    assert hub.hub_status()[1] == "mirror answered 403 (not the Hub's API answer)"
    assert check.status == "WARN" and f"the mirror {mirror.url} (HF_ENDPOINT) does not work (mirror answered 403" in check.detail
    assert "unset HF_ENDPOINT" in check.fix


def test_a_mirror_that_serves_its_api_to_get_only_is_still_used(online, monkeypatch, tiny_repo):
    with StandIn({"course-tests/tiny-bert": tiny_repo}, Behaviour(api_get_only=True)) as mirror:
        use_mirror(monkeypatch, mirror.url)
        assert hub.hub_status() == (True, "reachable")
        assert hub.resolve_model("course-tests/tiny-bert").source == "Hub"
    assert mirror.behaviour.requests[:2] == ["HEAD /api/models/bert-base-uncased", "GET /api/models/bert-base-uncased"]


def test_a_mirror_that_stalls_is_given_up_after_the_probe(online, monkeypatch):
    with StandIn(behaviour=Behaviour(stall_all=True)) as mirror:
        monkeypatch.setenv("HF_ENDPOINT", mirror.url)
        start = time.perf_counter()
        with pytest.raises(ResolutionError) as caught:
            hub.resolve_model("no-such-org/no-such-model")
        elapsed = time.perf_counter() - start
    assert elapsed < hub.PROBE_TIMEOUT_S + 2
    assert "the Hub is not used (mirror no answer within 2 s)" in str(caught.value)


@pytest.mark.parametrize(("value", "fixed"), [
    ("hf-mirror.com", "https://hf-mirror.com"),
    ("hf-mirror.com/", "https://hf-mirror.com"),
    ("ftp://hf-mirror.com", "https://hf-mirror.com"),
    (" https://hf-mirror.com", "https://hf-mirror.com"),
    ("https://", "https://hf-mirror.com"),
])
def test_a_mirror_without_https_gets_the_fix_never_hub_unreachable(online, monkeypatch, value, fixed):
    """HF_ENDPOINT=hf-mirror.com read as "offline: Hub unreachable: ValueError ... connect to the internet"."""
    monkeypatch.setenv("HF_ENDPOINT", value)
    for call in (hub.hub_status, lambda: hub.resolve_model("bert-base-uncased"), lambda: hub.load_reviews(verbose=False)):
        with pytest.raises(CourseError) as caught:
            call()
        message = str(caught.value)
        assert f"Fix: set HF_ENDPOINT={fixed} before Python starts" in message
        assert "ValueError" not in message and "connect to the internet" not in message
    check = doctor.check_hub()
    assert check.status == "FAIL" and check.fix.startswith(f"set HF_ENDPOINT={fixed}")


def test_an_empty_hf_endpoint_says_unset_it(online, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "")
    with pytest.raises(CourseError, match="HF_ENDPOINT is set but empty.*Fix: unset HF_ENDPOINT"):
        hub.hub_status()


def test_an_offline_learner_with_a_bad_mirror_is_still_told_by_the_doctor(hf_home, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "hf-mirror.com")
    assert hub.hub_status() == (False, "HF_HUB_OFFLINE=1")  # offline: the address is never used, nothing raised
    assert doctor.check_hub().status == "FAIL"


def _doctor_hub_line(code_before: str) -> str:
    code = f"import os\n{code_before}\nfrom course_utils import doctor\nprint(doctor.check_hub().line())"
    env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**env, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_the_doctor_says_when_hf_endpoint_was_set_after_huggingface_hub_was_imported():
    late = _doctor_hub_line("from huggingface_hub import hf_hub_download\nos.environ['HF_ENDPOINT'] = 'https://hf-mirror.com'")
    assert late.startswith("[FAIL] hugging face hub: HF_ENDPOINT was set or changed after huggingface_hub was imported")
    assert "still use https://huggingface.co" in late and "fix: set HF_ENDPOINT before Python starts" in late
    early = _doctor_hub_line("os.environ['HF_ENDPOINT'] = 'https://hf-mirror.com'\nfrom huggingface_hub import hf_hub_download")
    assert early.startswith("[WARN] hugging face hub: not used (HF_HUB_OFFLINE=1)") and "imported" not in early


def test_setup_notes_an_hf_endpoint_set_too_late(monkeypatch, capsys):
    import huggingface_hub.constants

    from course_utils import session

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com")
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "https://huggingface.co")
    session.setup(threads=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("note: HF_ENDPOINT was set or changed after huggingface_hub was imported")
    assert hub.endpoint_import_problem() is not None
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "https://hf-mirror.com")
    assert hub.endpoint_import_problem() is None


# --------------------------------------------------------------------------- no network that works

def test_a_captive_portal_is_not_taken_for_the_hub(online, monkeypatch):
    """A hotel or airport network answers every address with its sign-in page: the probe answers 200, and
    nothing downloads. It reads as offline within seconds, and says why."""
    with StandIn(behaviour=Behaviour(portal=True)) as portal:
        monkeypatch.setenv("HF_ENDPOINT", portal.url)
        start = time.perf_counter()
        with pytest.raises(ResolutionError) as caught:
            hub.resolve_model("no-such-org/no-such-model")
        data = hub.load_reviews(verbose=False)
        elapsed = time.perf_counter() - start
    assert elapsed < 5
    assert "a captive portal or a proxy's sign-in page?" in str(caught.value) and "Fix:" in str(caught.value)
    from course_utils.reviews import is_course_copy

    assert is_course_copy(data)


def test_a_proxy_that_accepts_and_then_stalls_fails_within_seconds(online, monkeypatch):
    """No HF_HUB_OFFLINE, the real Hub address, the default deadlines: a proxy (HTTPS_PROXY) takes the
    connection and the CONNECT, then never answers. The id fails within seconds, naming the fix."""
    with StallingProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        start = time.perf_counter()
        with pytest.raises(ResolutionError) as caught:
            hub.resolve_model("no-such-org/no-such-model")
        elapsed = time.perf_counter() - start
        assert any(request.startswith("CONNECT huggingface.co:443") for request in proxy.requests), proxy.requests
    assert elapsed < hub.PROBE_TIMEOUT_S + 2
    message = str(caught.value)
    assert "the Hub is not used (Hub no answer within 2 s)" in message and "Fix:" in message


# --------------------------------------------------------------------------- a pip mirror

@pytest.fixture
def pip_env(monkeypatch, tmp_path):
    """pip settings of the test's own: no configuration file, no offline flag."""
    for name in (*hub.OFFLINE_FLAGS, hub.COURSE_SET_OFFLINE, "PIP_INDEX_URL", *PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    return tmp_path


def test_the_doctor_reports_a_pip_mirror_that_answers(pip_env, monkeypatch):
    with simple_index(200) as index:
        monkeypatch.setenv("PIP_INDEX_URL", f"{index.url}/simple")
        check = doctor.check_pip_index()
        assert index.behaviour.requests == ["HEAD /simple/pip/"]
    assert check.status == "OK" and check.detail == f"{index.url}/simple (PIP_INDEX_URL) answers"


def test_a_pip_mirror_that_answers_403_is_explained_as_from_versions_none(pip_env, monkeypatch):
    with simple_index(403) as index:
        config = pip_env / "pip.conf"
        config.write_text(f"[global]\nindex-url = {index.url}/simple\n")
        monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
        check = doctor.check_pip_index()
    assert check.status == "WARN"
    assert check.detail.startswith(f"{index.url}/simple (pip config, global.index-url) refuses pip (answered 403)")
    assert '"from versions: none"' in check.detail
    assert "mirrors.aliyun.com" in check.fix and "pip config set global.index-url" in check.fix


def test_a_pip_mirror_that_stalls_is_given_up(pip_env, monkeypatch):
    with StandIn(behaviour=Behaviour(stall_all=True)) as index:
        monkeypatch.setenv("PIP_INDEX_URL", f"{index.url}/simple")
        start = time.perf_counter()
        check = doctor.check_pip_index()
        elapsed = time.perf_counter() - start
    assert check.status == "WARN" and "does not answer pip (no answer within 3 s)" in check.detail
    assert elapsed < doctor.PIP_PROBE_TIMEOUT_S + 3


def test_the_pip_index_line_never_shows_a_password(pip_env, monkeypatch):
    with simple_index(200) as index:
        monkeypatch.setenv("PIP_INDEX_URL", index.url.replace("http://", "http://learner:secret@") + "/simple")
        line = doctor.check_pip_index().line()
    assert "secret" not in line and "learner" not in line and "***@127.0.0.1" in line


def test_pypi_by_default_and_not_probed_when_the_learner_works_offline(pip_env, monkeypatch):
    """Offline (the test harness is), the index is neither asked nor named, so notebook 00's doctor output is
    the same for a learner with a mirror; the hub line too."""
    assert doctor.pip_index() == ("https://pypi.org/simple", "pip's default")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    lines = set()
    for index, endpoint in [(None, None), ("https://pypi.tuna.tsinghua.edu.cn/simple", "https://hf-mirror.com")]:
        if index:
            monkeypatch.setenv("PIP_INDEX_URL", index)
            use_mirror(monkeypatch, endpoint)  # set before huggingface_hub was imported, as a learner sets it
        lines.add((doctor.check_pip_index().line(), doctor.check_hub().line()))
    assert len(lines) == 1
    pip_line, hub_line = lines.pop()
    assert pip_line == "[OK]   pip index: not probed (HF_HUB_OFFLINE=1)"
    assert hub_line.startswith("[WARN] hugging face hub: not used (HF_HUB_OFFLINE=1)")


# --------------------------------------------------------------------------- a URL that carries a user name and password

def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_pip_index_that_needs_a_password_in_its_url_is_asked_with_it_and_answers(pip_env, monkeypatch):
    """A private index (`https://user:token@host/simple`, as Artifactory or a company mirror give it) read as
    "does not answer pip (unreachable: gaierror)": urllib took the credentials for part of the host name, and
    set-up refused to start although pip itself works with that index."""
    from course_utils.tools import bootstrap

    with simple_index(200) as index:
        url = index.url.replace("http://", "http://learner:s3cret@") + "/simple"
        monkeypatch.setenv("PIP_INDEX_URL", url)
        check = doctor.check_pip_index()
        bootstrap.probe_indexes({"index-url": (url, "PIP_INDEX_URL")}, say=print)  # no SetupError: it answers
    assert check.status == "OK", check.line()
    assert check.detail == f"{index.url.replace('http://', 'http://***@')}/simple (PIP_INDEX_URL) answers"
    assert index.behaviour.requests == ["HEAD /simple/pip/"] * 2
    assert index.behaviour.authorizations == [_basic("learner", "s3cret")] * 2


def test_a_mirror_that_needs_a_password_in_hf_endpoint_is_used_and_the_password_never_shown(online, monkeypatch, tiny_repo, capsys):
    with StandIn({"course-tests/tiny-bert": tiny_repo}) as mirror:
        use_mirror(monkeypatch, mirror.url.replace("http://", "http://learner:s3cret@"))
        assert hub.hub_status() == (True, "reachable")
        assert hub.resolve_model("course-tests/tiny-bert").source == "Hub"
        check = doctor.check_hub()
    assert mirror.behaviour.authorizations[0] == _basic("learner", "s3cret")
    assert check.status == "OK" and check.detail == f"the mirror {mirror.url.replace('http://', 'http://***@')} (HF_ENDPOINT) answers"
    # Set too late, or written wrong, the variable is named without its password too.
    monkeypatch.setenv("HF_ENDPOINT", "https://learner:s3cret@hf-mirror.com ")
    bad = doctor.check_hub().line()
    assert bad.startswith("[FAIL]") and "s3cret" not in bad and "https://***@hf-mirror.com" in bad
    assert "s3cret" not in capsys.readouterr().out


@pytest.mark.parametrize(("value", "words", "fixed"), [
    ("https:/hf-mirror.com", "names no server after the scheme", "https://hf-mirror.com"),
    ("https//hf-mirror.com", "has no https:// in front", "https://hf-mirror.com"),
    ("https:hf-mirror.com", "names no server after the scheme", "https://hf-mirror.com"),
    ("https://hf mirror.com", "has a space inside it", "the address without the space"),
    ("https://hf-mirror.com?token=1", "ends in a ?query", "https://hf-mirror.com"),
    ("http://[::1", "is not a web address (Invalid IPv6 URL)", "the mirror's address as its instructions give it"),
    ("https://hf-mirror.com:abc", "is not a web address (Port could not be cast", "the mirror's address as its instructions give it"),
])
def test_a_mistyped_mirror_address_is_named_with_a_fix_that_works(online, monkeypatch, value, words, fixed):
    """`https:/hf-mirror.com` was told "Fix: set HF_ENDPOINT=https://https:/hf-mirror.com"; `http://[::1` raised a
    raw ValueError from setup() and the doctor; a bad port or a space read as "mirror unreachable: InvalidURL"."""
    monkeypatch.setenv("HF_ENDPOINT", value)
    with pytest.raises(CourseError) as caught:
        hub.hub_status()
    message = str(caught.value)
    assert words in message and f"Fix: set HF_ENDPOINT={fixed}" in message, message
    assert "https://https" not in message
    check = doctor.check_hub()
    assert check.status == "FAIL" and words in check.detail


def test_a_path_under_the_mirror_is_kept(online, monkeypatch, tiny_repo):
    """A mirror served under a path (`https://host/hf`) is a working address, not a mistake."""
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example.edu/huggingface")
    assert hub.endpoint_problem("https://mirror.example.edu/huggingface") is None
    assert hub.endpoint_problem("https://mirror.example.edu:8443") is None


@pytest.mark.parametrize(("value", "words"), [
    (" https://pypi.tuna.tsinghua.edu.cn/simple ", "with spaces around it"),
    ("pypi.tuna.tsinghua.edu.cn/simple", "has no https:// in front"),
])
def test_the_doctor_names_a_pip_index_pip_cannot_use_as_written(pip_env, monkeypatch, value, words):
    """The doctor tidied PIP_INDEX_URL before probing it and said "answers" (or "not a web address" with advice to
    change mirrors), while pip, taking it as written, found no package at all."""
    monkeypatch.setenv("PIP_INDEX_URL", value)
    check = doctor.check_pip_index()
    assert check.status == "FAIL" and words in check.detail and '"from versions: none"' in check.detail
    assert "pypi.tuna.tsinghua.edu.cn/simple" in check.fix and "https://" in check.fix
