"""The course's offline reviews: hand-written, balanced, split by film, IMDb-shaped, hard enough to teach (issue 17),
saying what they think as plainly as real reviewers do (issue 38)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from course_utils import hub, reviews


@pytest.fixture(scope="module")
def rows():
    return reviews.read_rows()


@pytest.fixture(scope="module")
def builder():
    from course_utils.tools.review_stats import load_builder

    return load_builder()


def test_every_bound_of_the_issue_is_met(rows):
    """Issues 17 and 38's bounds, as `python -m course_utils review-stats` prints them (IMDB_FACTS.md for IMDb's side)."""
    from course_utils.tools.review_stats import measure_rows

    measured = measure_rows(rows)
    names = {row.name for row in measured}
    assert {"VADER accuracy (lexicon, no training)", "TF-IDF logistic regression accuracy",
            "share of the words that are retold plot", "share with a rating in the text"} <= names
    assert all(row.met is not None for row in measured if row.name.startswith("VADER")), "VADER must run: the [dev] extra has it"
    unmet = [(row.name, row.value, row.bound) for row in measured if row.met is False]
    assert not unmet, unmet
    # Beside the served split: each classifier cross-validated by film, printed as information (no bound).
    cross_validated = [row for row in measured if row.name.endswith("cross-validated by film")]
    assert len(cross_validated) == 3 and all(row.met is None and 0.5 < row.value < 1 for row in cross_validated)


def test_reviews_say_what_they_think_in_words_a_lexicon_knows(rows):
    """Issue 38: VADER (built without IMDb) reads the served reviews about as well as real ones (0.70), with ratings
    in the text as often as real reviews have them, on the right side of the scale (7-10 positive, 1-4 negative)."""
    from course_utils.tools.review_stats import RATING, RATING_SHARE, VADER_MIN, vader_accuracy

    assert vader_accuracy([r["text"] for r in rows], [r["label"] for r in rows]) >= VADER_MIN
    tens = [(r["label"], float(m.group(1))) for r in rows
            for m in re.finditer(r"\b(10|\d(?:\.\d)?) ?(?:/|out of) ?10\b", r["text"])]
    assert len(tens) > 50
    wrong_side = [(label, score) for label, score in tens if (label == 1 and score < 5) or (label == 0 and score > 6)]
    assert len(wrong_side) <= 0.05 * len(tens), wrong_side[:10]  # a few quote someone else's score
    share = sum(bool(RATING.search(r["text"].replace("<br />", " "))) for r in rows) / len(rows)
    assert RATING_SHARE[0] <= share <= RATING_SHARE[1], share


def test_splits_are_balanced_and_share_no_film(rows):
    for split in reviews.SPLITS:
        labels = [r["label"] for r in rows if r["split"] == split]
        assert labels.count(0) == labels.count(1) > 0
    train = {r["film"] for r in rows if r["split"] == "train"}
    test = {r["film"] for r in rows if r["split"] == "test"}
    assert train and test and not train & test


def test_no_near_duplicates_and_no_shared_sentences(rows):
    from course_utils.tools.review_stats import most_shared_sentence, most_similar_pair

    texts = [r["text"] for r in rows]
    _, shared = most_shared_sentence(texts)
    assert shared <= 2
    similarity, first, second = most_similar_pair(texts)
    assert similarity <= 0.5, (rows[first]["text"][:200], rows[second]["text"][:200])


def test_the_retold_plot_says_nothing_about_the_label(rows):
    """The builder's only text of its own choosing is which plot points a review retells: alone they must not predict the label."""
    from course_utils.tools.review_stats import classifier_accuracy

    with_plot = [r for r in rows if r["plot"]]
    train = [r for r in with_plot if r["split"] == "train"]
    test = [r for r in with_plot if r["split"] == "test"]
    assert len(with_plot) > len(rows) / 2 and len(test) > 100
    accuracy = classifier_accuracy(([r["plot"] for r in train], [r["label"] for r in train]),
                                   ([r["plot"] for r in test], [r["label"] for r in test]), "logistic regression")
    assert accuracy < 0.6, accuracy
    assert all(r["text"].count(r["plot"][:80]) == 1 for r in with_plot)


def test_lengths_and_style_look_like_imdb(rows):
    words = np.array([len(r["text"].replace("<br /><br />", " ").split()) for r in rows])
    assert words.min() <= 20, "some reviews should be a line or two"
    assert 150 <= np.median(words) <= 200 and 350 <= np.quantile(words, 0.9) <= 550 and words.max() > 1000
    share_lukewarm = np.mean([r["lukewarm"] for r in rows])
    assert 0.15 <= share_lukewarm <= 0.25, share_lukewarm  # about a fifth: the 4/10 and 7/10 kind, labelled by the nearer pole
    texts = [r["text"] for r in rows]
    share = lambda pattern: np.mean([bool(re.search(pattern, t)) for t in texts])  # noqa: E731
    assert share(r"(?i)\b(not|never|cannot|nothing|no)\b") > 0.5  # negation
    assert share(r"(?i)\b(but|though|however|yet)\b") > 0.4  # contrast and mixed feelings
    assert share(r"\b\d+ ?(/|out of) ?10\b") <= 0.2  # ratings in some reviews, not most (the band is asserted above)


def test_every_review_is_hand_written_text_placed_once(builder, rows):
    bodies = builder.read_bodies()
    assert len(rows) <= len(bodies) <= len(rows) + 10  # a few left out only to balance the splits
    assert not any("{" in row["text"] or "}" in row["text"] for row in rows), "a placeholder was left unfilled"
    endings = [body.paragraphs[-1][:60] for body in bodies]
    assert len(set(endings)) == len(endings), "two hand-written reviews end the same way"


def test_retellings_are_a_few_points_and_never_with_a_review_that_tells_its_own_premise(builder, rows):
    """Issue 38: fewer plot points per review (at most MAX_POINTS sentences) and about a third to a half of the words."""
    from course_utils.tools.review_stats import PLOT_SHARE, plot_share, sentences

    assert max(len(sentences(r["plot"])) for r in rows) <= builder.MAX_POINTS
    assert PLOT_SHARE[0] <= plot_share([r["text"] for r in rows], [r["plot"] for r in rows]) <= PLOT_SHARE[1]
    standalone = {" ".join(p.split()) for body in builder.read_bodies() if body.standalone for p in body.paragraphs[:1]}
    told = [r for r in rows if any(first[:60] in r["text"] for first in standalone if "{" not in first[:60])]
    assert told and not any(r["plot"] for r in told)


def test_a_broken_hand_written_file_is_refused_with_the_reason(builder, tmp_path):
    outline = "== drama | The Same Title | Ann\nAnn opens a shop.\nThe shop closes.\n"
    (tmp_path / "films_x.txt").write_text(outline + outline.replace("Ann", "Bea"), encoding="utf-8")
    with pytest.raises(ValueError, match="same title"):
        builder.read_films(tmp_path)
    (tmp_path / "films_x.txt").write_text(outline + "== more | No Such Film\n1: A point.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="do not exist"):
        builder.read_films(tmp_path)


def test_rebuilding_with_a_broken_file_is_one_line_naming_the_fix(builder, monkeypatch, capsys):
    def broken():
        raise ValueError("sentences in more than 2 reviews (rewrite them): [(3, 'Yes, really.')]")

    monkeypatch.setattr(builder, "build", broken)
    assert builder.main() == 1
    error = capsys.readouterr().err
    assert "Yes, really." in error and "Fix: edit the files in" in error and "Traceback" not in error


def test_without_the_hand_written_files_the_fix_is_named(monkeypatch, tmp_path):
    from course_utils.errors import CourseError
    from course_utils.tools.review_stats import load_builder

    monkeypatch.setattr(reviews, "DATA_DIR", tmp_path)
    with pytest.raises(CourseError, match="Fix: rebuild the reviews from a clone"):
        load_builder()


def test_served_like_imdb():
    data = reviews.load_course_reviews()
    assert set(data) == {"train", "test"}
    assert data["train"].column_names == ["text", "label"]
    assert data["train"].features["label"].names == ["neg", "pos"]
    assert data["train"].num_rows + data["test"].num_rows == len(reviews.read_rows())
    assert reviews.is_course_copy(data) and reviews.is_course_copy(data["test"].shuffle(seed=0).select(range(3)))


def test_load_reviews_offline_uses_the_course_copy(hf_home, capsys):
    data = hub.load_reviews("stanfordnlp/imdb")
    assert data["test"].num_rows > 0
    assert "offline copy" in capsys.readouterr().out


def test_unknown_dataset_offline_names_the_fix(hf_home):
    with pytest.raises(hub.ResolutionError, match="Fix:"):
        hub.load_reviews("someone/no-such-dataset")


def test_cached_parquet_snapshot_is_loaded(hf_home, tmp_path):
    """A cached IMDb-layout snapshot (parquet per split) wins over the offline copy."""
    import pandas as pd

    repo = hf_home / "datasets--stanfordnlp--imdb"
    snapshot = repo / "snapshots" / "abc"
    (snapshot / "plain_text").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc")
    for split in ("train", "test"):
        pd.DataFrame({"text": ["good", "bad"], "label": [1, 0]}).to_parquet(snapshot / "plain_text" / f"{split}-00000-of-00001.parquet")
    data = hub.load_reviews("stanfordnlp/imdb", verbose=False)
    assert list(data["train"]["text"]) == ["good", "bad"]
    assert not reviews.is_course_copy(data)
    assert data["train"].features["label"].names == ["neg", "pos"]


def test_shipped_file_is_rebuilt_exactly_by_the_builder(builder, rows):
    assert builder.build() == rows


def test_data_card_covers_the_essentials_with_the_measured_numbers(rows):
    from course_utils.tools.review_stats import measure_rows

    card = reviews.CARD_FILE.read_text()
    for topic in ("How they were written", "Licence", "Limits", "Split"):
        assert topic in card
    measured = {row.name: row.value for row in measure_rows(rows)}
    splits = [sum(r["split"] == split for r in rows) for split in reviews.SPLITS]
    for number in (len(rows), *splits, measured["distinct lower-case words"]):
        assert f"{number:,}" in card, number
    assert f"{measured['median length (words)']} / {measured['ninetieth percentile (words)']}" in card
    for name in ("naive Bayes accuracy (as in 04)", "logistic regression on the last 12 words",
                 "TF-IDF logistic regression accuracy", "VADER accuracy (lexicon, no training)",
                 "share of the words that are retold plot", "share with a rating in the text"):
        assert f"| {measured[name]:.2f} |" in card, name
    cross_validated = " / ".join(f"{measured[f'{name}, cross-validated by film']:.2f}"
                                 for name in ("naive Bayes", "TF-IDF LR", "last 12 words"))
    assert f"| {cross_validated} |" in card  # the card's row of the three cross-validated means, in that order
    assert f"{np.mean([r['lukewarm'] for r in rows]):.0%} are lukewarm".replace("%", " %") in card


def test_a_retold_point_keeps_its_names_capitalised(builder, rows):
    names = builder._names(builder.read_films())
    lower_first = builder._lower_first
    assert lower_first("Martin takes up salsa dancing.", names) == "Martin takes up salsa dancing."  # starts sentences only
    assert lower_first("Major Daniels dies of an overdose.", names).startswith("Major Daniels")  # a title and a name
    assert lower_first("Grace's assistant quits.", names).startswith("Grace's")  # also a word, but a name here
    assert lower_first("The monsoon turns the paths to mud.", names).startswith("the monsoon")
    assert lower_first("A Burmese guide helps them.", names).startswith("a Burmese")
    # In the served file: no connecting word is followed by a name in lower case ("Basically, martin ...").
    links = sorted({link.strip() for link in builder.OPENERS + builder.LINKS if link.strip()}, key=len, reverse=True)
    after_link = re.compile("(?:" + "|".join(map(re.escape, links)) + r") ([a-z][\w-]*)")
    lowered = {m.group(1) for r in rows for m in after_link.finditer(r["plot"])}
    assert not {word.capitalize() for word in lowered} & {name for name in names if " " not in name} - {"I"}
