"""The path an online learner takes, simulated: the model and IMDb in a Hugging Face cache (what the
first online run leaves there), laid out as the Hub lays them out, with the course's own files. And the
opposite guard: regenerate and the tests give each notebook a private, empty cache, so nothing a
maintainer has cached can leak into the committed outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import hub
from course_utils.tools.notebooks import execute, notebooks_dir, with_solutions
from tests.conftest import put_in_cache, save_imdb_parquet, save_tiny_bert

pytestmark = pytest.mark.full  # end to end: CI's full tier, not `test --fast`

PROBE = "import course_utils\ncourse_utils.setup(verbose=False)\ncourse_utils.model_path('sentence-transformers/all-MiniLM-L6-v2')"


def _text(notebook) -> str:
    """Everything the cells printed or displayed as text."""
    return "".join("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                   for cell in notebook.cells for out in cell.get("outputs", []))


def _copy_offline_minilm(folder: Path) -> None:
    source = hub.offline_model_folder(hub.MINILM)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, folder / path.name)


def test_a_maintainers_cache_never_reaches_the_notebooks(tmp_path, monkeypatch):
    """A (fake, tiny) MiniLM in the maintainer's own cache: a notebook run by execute() does not see it."""
    put_in_cache(tmp_path / "mine" / "hub", "sentence-transformers/all-MiniLM-L6-v2", save_tiny_bert)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "mine"))
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    path = notebooks_dir() / "00_welcome.ipynb"
    private = _text(execute(path, write=False, notebook=probe))
    assert "offline copy" in private and "local cache" not in private
    shared = _text(execute(path, write=False, notebook=probe, hf_home=tmp_path / "mine"))
    assert "local cache" in shared


def test_notebook_00_online_from_the_cache_with_its_checkers(tmp_path):
    """00 as an online learner runs it after the first download: model and IMDb from the cache, the
    exercises solved, and 00.count_positive recomputed from the same data the learner has."""
    cache = tmp_path / "hf" / "hub"
    put_in_cache(cache, "sentence-transformers/all-MiniLM-L6-v2", _copy_offline_minilm)
    put_in_cache(cache, "stanfordnlp/imdb", lambda folder: save_imdb_parquet(folder, positives=9, negatives=6), kind="dataset")
    solved, exercises = with_solutions(nbformat.read(notebooks_dir() / "00_welcome.ipynb", as_version=4))
    assert sorted(exercises.values()) == ["00.clean_review", "00.count_positive"]
    text = _text(execute(notebooks_dir() / "00_welcome.ipynb", write=False, notebook=solved, hf_home=tmp_path / "hf"))
    assert "sentence-transformers/all-MiniLM-L6-v2: local cache" in text
    assert "stanfordnlp/imdb: local cache" in text and "num_rows: 15" in text
    assert "[Correct] 00.count_positive" in text and "[Correct] 00.clean_review" in text


def save_course_reviews_as_imdb(folder: Path) -> None:
    """The course's own reviews, in their own train/test split and order, laid out as the Hub lays out IMDb."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from course_utils.reviews import read_rows

    (folder / "plain_text").mkdir(parents=True)
    for split in ("train", "test"):
        rows = [row for row in read_rows() if row["split"] == split]
        table = pa.table({"text": [row["text"] for row in rows], "label": [row["label"] for row in rows]})
        pq.write_table(table, folder / "plain_text" / f"{split}-00000-of-00001.parquet")


def _resolution_lines_removed(text: str) -> str:
    """Without the lines that say where the files came from, and the line 07 adds where its reviews are not the
    course's own copy (what to expect on real IMDb: here the course's reviews stand in for it)."""
    from course_utils.finetune import REAL_IMDB_MEASURED

    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(("sentence-transformers/all-MiniLM-L6-v2: ", "stanfordnlp/imdb: "))
                     and line != REAL_IMDB_MEASURED)


def test_notebook_07_online_from_the_cache_prints_what_the_offline_run_printed(tmp_path):
    """07 as an online learner runs it (MiniLM and IMDb from the Hugging Face cache, through model_path and
    load_reviews), with the course's own reviews laid out as IMDb standing in for real IMDb: the committed outputs,
    line for line, but for where the files came from and the line of what to expect on real IMDb, which 07 prints
    (once) wherever its reviews are not the course's offline copy. A learner online gets real IMDb, and other numbers."""
    cache = tmp_path / "hf" / "hub"
    put_in_cache(cache, "sentence-transformers/all-MiniLM-L6-v2", _copy_offline_minilm)
    put_in_cache(cache, "stanfordnlp/imdb", save_course_reviews_as_imdb, kind="dataset")
    path = notebooks_dir() / "07_finetune_with_trainer.ipynb"
    online = _text(execute(path, write=False, hf_home=tmp_path / "hf"))
    assert "sentence-transformers/all-MiniLM-L6-v2: local cache" in online and "stanfordnlp/imdb: local cache" in online
    assert "offline copy" not in online
    committed = _text(nbformat.read(path, as_version=4))
    from course_utils.finetune import REAL_IMDB_MEASURED

    assert online.count(REAL_IMDB_MEASURED) == 1 and REAL_IMDB_MEASURED not in committed
    assert _resolution_lines_removed(online) == _resolution_lines_removed(committed)
