"""The course's offline movie reviews, served exactly like IMDb on the Hub.

``load_course_reviews()`` returns a ``datasets.DatasetDict`` with `train` and `test` splits,
columns `text` and `label`, and the label names `neg` (0) and `pos` (1), so notebook code
written for ``stanfordnlp/imdb`` runs unchanged. How the reviews were written: REVIEWS_CARD.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from .errors import CourseError

DATA_DIR = Path(__file__).with_name("data")
REVIEWS_FILE = DATA_DIR / "reviews.jsonl"
CARD_FILE = DATA_DIR / "REVIEWS_CARD.md"
LABEL_NAMES = ["neg", "pos"]
DESCRIPTION = "zero-to-finetune: the course's own hand-written movie reviews (REVIEWS_CARD.md)"
SPLITS = ("train", "test")


def read_rows(path: Path = REVIEWS_FILE) -> list[dict]:
    """The raw rows: {"text", "label", "split", "film"}."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _features():
    from datasets import ClassLabel, Features, Value

    return Features({"text": Value("string"), "label": ClassLabel(names=LABEL_NAMES)})


def load_course_reviews(path: Path = REVIEWS_FILE):  # -> datasets.DatasetDict
    """The offline reviews as a DatasetDict with IMDb's columns, label names and a fixed split."""
    from datasets import Dataset, DatasetDict, DatasetInfo

    rows = read_rows(path)
    features = _features()
    return DatasetDict({
        split: Dataset.from_dict(
            {"text": [r["text"] for r in rows if r["split"] == split],
             "label": [r["label"] for r in rows if r["split"] == split]},
            features=features, info=DatasetInfo(description=DESCRIPTION, features=features),
        )
        for split in SPLITS
    })


def is_course_copy(data) -> bool:
    """Whether a DatasetDict (or one split of it) is the course's offline reviews rather than real IMDb."""
    split = data["train"] if hasattr(data, "keys") else data
    return split.info.description == DESCRIPTION


def load_parquet_folder(folder: Path, cache_dir: Path | None = None):  # -> datasets.DatasetDict
    """IMDb as the Hub stores it (parquet files per split) from a local snapshot folder. `cache_dir` is where
    ``datasets`` writes its Arrow working copy (the snapshot itself is only read, so it may be read-only)."""
    from datasets import DatasetDict, load_dataset

    from .hub import not_a_plain_file

    files = {split: sorted(str(p) for p in folder.rglob(f"{split}-*.parquet")) for split in SPLITS}
    odd = next(filter(None, (not_a_plain_file(Path(name)) for found in files.values() for name in found)), None)
    if odd:  # a named pipe would make the read wait for ever
        raise CourseError(f"{odd}, under the snapshot {folder.name}. Fix: delete this data set from the Hugging Face "
                          "cache (`hf cache rm`) and load it again.")
    missing = [split for split, found in files.items() if not found]
    if missing:
        raise CourseError(f"no parquet files for split(s) {missing} under the snapshot {folder.name}. Fix: delete this "
                          "data set from the Hugging Face cache (`hf cache rm`) and load it again.")
    data = load_dataset("parquet", data_files=files, cache_dir=str(cache_dir) if cache_dir is not None else None)
    return DatasetDict({split: data[split].cast(_features()) for split in SPLITS})
