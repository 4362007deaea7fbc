"""Notebooks 04 and 05 make claims about the reviews (a word's evidence, which optimizer wins, what the
validation split chooses). Each claim is computed and asserted in its cell, so it must hold on any
IMDb-shaped data, not only on the course's offline reviews. Here both notebooks run on a different data
set, laid out in a private Hugging Face cache exactly as the Hub lays out IMDb, as an online learner has it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from course_utils.tools.notebooks import execute, notebooks_dir
from tests.conftest import put_in_cache

pytestmark = pytest.mark.full  # end to end: CI's full tier, not `test --fast`


def save_resplit_imdb(folder: Path) -> None:
    """The course's reviews split afresh (half of each class to train, half to test, seeded), as IMDb parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from course_utils.reviews import read_rows

    rows = read_rows()
    rng = random.Random(1)
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    for label in (0, 1):
        chosen = [row for row in rows if row["label"] == label]
        rng.shuffle(chosen)
        half = len(chosen) // 2
        splits["train"] += chosen[:half]
        splits["test"] += chosen[half:]
    (folder / "plain_text").mkdir(parents=True)
    for split, chosen in splits.items():
        rng.shuffle(chosen)
        table = pa.table({"text": [row["text"] for row in chosen], "label": [row["label"] for row in chosen]})
        pq.write_table(table, folder / "plain_text" / f"{split}-00000-of-00001.parquet")


@pytest.mark.parametrize("name", ["04_probability_and_bayes.ipynb", "05_gradient_descent.ipynb"])
def test_the_claims_hold_on_another_imdb_shaped_data_set(name, tmp_path, monkeypatch):
    put_in_cache(tmp_path / "hf" / "hub", "stanfordnlp/imdb", save_resplit_imdb, kind="dataset")
    notebook = execute(notebooks_dir() / name, write=False, hf_home=tmp_path / "hf")   # raises if any cell (any assert) fails
    text = "".join("".join(out.get("text", "")) for cell in notebook.cells for out in cell.get("outputs", []))
    assert "stanfordnlp/imdb: local cache" in text and "offline copy (the course's own" not in text
