"""The course's offline movie reviews (``reviews.jsonl`` beside this file): hand-written, built like IMDb.

``load_reviews`` serves ``reviews.jsonl``; ``python -m course_utils review-stats`` measures it next to
IMDb and the bounds the tests assert (REVIEWS_CARD.md lists them).

What is written and what is generated (REVIEWS_CARD.md says the same for readers):

* ``written/batch*.txt``: one hand-written review per block, each its own text, in many voices
  (rambling, terse, sarcastic, fan, expert, disappointed admirer, non-native writer). A block
  starts with ``== pos`` or ``== neg``; ``~`` marks a lukewarm review (the 4/10 or 7/10 kind,
  labelled by the nearer pole); a genre word ties it to a film of that genre, ``@slug`` to one
  film (the title's letters, lower case), and ``!`` marks a review that tells its own premise
  (no plot is retold with it). Blank lines are
  paragraph breaks. ``{film}``, ``{star}``, ``{co}``, ``{dir}`` and ``{hero}`` are filled with the
  film's title, cast, director and hero.
* ``written/films_*.txt``: one hand-written plot outline per invented film (a dozen or so plot
  points, one per line). A review may retell part of its film's plot, as many IMDb reviews do:
  it takes some of the points in order, with its own connecting words. The same point is retold
  by several reviews of one film, for either label, so the plot says nothing about the label.
* This script does the structure only: which film each review is about (films of the same
  genre), the split by film (train and test share no film), names, and how much of the plot a
  review retells: none for some, and for the rest some points in order, about as many words as the
  review's own opinion (drawn from a right-skewed distribution, so long reviews retell more, as
  on IMDb), which gives IMDb's lengths with a little under half of the words retold plot. It never writes
  an opinion, and it checks that no sentence is in more than two reviews and that no two reviews
  are near-duplicates.

Every sentence was written for this project; nothing was copied from IMDb or anywhere else.
Run ``python course_utils/data/build_reviews.py`` to rebuild the file; the output is the same
byte for byte each time (a test checks that the shipped file matches).
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20261124
HERE = Path(__file__).parent
WRITTEN = HERE / "written"
OUT = HERE / "reviews.jsonl"  # written by main(); served by course_utils.reviews
TEST_SHARE = 0.3  # about this share of the reviews (whole films) is the test split
# How much plot a review retells (issue 38: 58 % of the words were plot, twice the opinion; now a little under half).
# With the opinion text written today, IMDb's lengths (median 150-200, 90th percentile 350-550) need about this much.
NO_PLOT = 0.1  # this share of the reviews that could retell the plot retell none of it
PLOT_PER_OPINION_WORD, PLOT_SPREAD = 1.25, 0.6  # the others: this many plot words per opinion word (median), log-normal
MIN_PLOT, MAX_PLOT = 25, 450  # fewer words than this are not worth a retelling; a retelling stops after about this many
MAX_POINTS = 16  # and after this many plot points
MAX_SENTENCE_REVIEWS = 2  # no exact sentence in more than two reviews
MAX_SHINGLE_JACCARD = 0.35  # word-trigram Jaccard between two reviews of one film; the tests use 0.5
BREAK = "<br /><br />"
PUNCTUATION = ".,;:!?'\"()"  # stripped from a word before asking whether it is a name
# Names in the outlines that the rules of _names() take for words (each starts its sentences, or is also a word).
NAMES_LIKE_WORDS = {"Bingo", "Biscuit", "Ines", "Kit", "Sunshine"}

# Invented people: first and last names from many places, combined per film.
FIRST = """Abigail Adaeze Agnieszka Ahmed Aiko Alasdair Alba Aleksander Amara Ambrose Anneliese Anouk Araceli
Arvid Astrid Aurelio Bartholomew Beatriz Benedikt Bettina Bjorn Bronwen Casimir Cecily Cormac Dagny Dario Delphine
Dervla Desmond Dilnoza Dorian Ebony Edmund Efua Eilidh Elias Emeka Esperanza Fabian Farida Fenella Florian Gaspard
Gideon Greta Guillermo Gunnar Halima Hamish Henrike Horatio Idris Ines Ingmar Isadora Jarrah Jolanta Jovan Kalinda
Kasimir Keziah Kwabena Lavinia Leopold Linnea Lucasta Ludovic Magdalena Malachy Marisol Matthias Maximilian
Mehmet Mireille Monserrat Morwenna Nadezhda Niamh Nikolai Obadiah Octavia Oisin Ottilie Pascale Perpetua Pilar
Quentin Rasmus Raziel Rosalind Rupert Saoirse Sebastiano Selma Severin Siddharth Solveig Tadeusz Tamsin Thaddeus
Theodora Tiberius Ulrike Valentina Vesna Wilhelmina Xiomara Yevgeny Yolanda Zbigniew Zuleika
Adaora Adelheid Agathe Ailsa Akosua Aldous Alejandro Algernon Alinta Alistair Amadou Amalia Anastasia Andrzej
Annika Anselm Antonella Apolline Archibald Ariadne Arjun Armando Artemis Augustin Aurora Barnaby Benedetta Berit
Bertrand Blessing Boris Calliope Camilo Candela Caspian Cassius Catalina Cedric Celestine Chiamaka Cillian Clementine
Conchita Constantin Corentin Cosima Crispin Dagmar Damaris Dariusz Delphina Demetrius Dionne Dolores Dominika Donatella
Dunstan Ebenezer Edda Eleanora Elspeth Emmerich Enzo Ephraim Esme Eudora Evander Ezinne Fabiola Faustine
Fenwick Ferdinand Fiammetta Finnian Fionnuala Folasade Fritjof Gabrielle Genevieve Giacomo Gilda Godfrey Gwenllian Hallvard
Heloise Hermione Hiroshi Honoria Ignatius Ileana Imelda Isidore Ivo Jacinta Jadwiga Jeremias Jocasta Josefina
Jurgen Kaito Kallista Katarzyna Kerensa Kjersti Lachlan Ladislav Leocadia Leonidas Lisbeth Lorcan Lucian Ludmila
Lysander Mafalda Manon Marcelo Marguerite Mathilde Melchior Meredith Milos Mirabel Mordecai Naoki Natalio Nerys
Nkechi Noemi Oluwaseun Ondine Orlaith Oswin Padraig Paloma Peregrine Petronella Philippa Piotr Prudence Radomir
Reinhold Ricarda Romilly Rosamund Rufus Sabela Sacha Saskia Seraphina Sigrid Silvestre Stellan Sunniva Svetlana
Tancredi Tatiana Temperance Thelonius Tobiah Torquil Ulysses Ursula Valdemar Venetia Vittorio Wendeline Wolfgang Xavier
Yusra Zephyrine Zofia""".split()
LAST = """Abernethy Achterberg Adeyemi Alcantara Amundsen Aranda Ashcombe Bakshi Balogun Barrington Beaumont
Belinskaya Blomqvist Bonnefoy Brannigan Castellanos Chakraborty Cheverton Cifuentes Dalgliesh Delacourt Dunleavy
Eriksdottir Esterhazy Fairweather Falconetti Featherstone Fitzwilliam Gallagher Garamond Gavrilova Gonsalves
Grimaldi Haddington Halvorsen Hasegawa Holloway Ibarguen Iwasaki Jablonski Jovanovic Kavanagh Kazantzis Kettering
Kowalczyk Lachapelle Lindgren Llewellyn Lockhart Lombardi Macready Maitland Marchbanks Mbeki Montgomery Mukherjee
Nakashima Nightingale Novotny Oduya Okonkwo Oyelaran Pemberton Penhaligon Quarshie Radcliffe Ravensworth
Rosenthal Rutherford Saarinen Sandoval Schellenberg Sorensen Stavropoulos Strickland Szymanski Takahashi
Tennant Thorvaldsen Tremayne Umberger Valdivia Vanterpool Vasquez Villeneuve Wainwright Westergaard Whitaker
Winterbourne Wojcik Yardley Yamamoto Zabrowski Zamora Zielinski
Abramovic Aguilera Albuquerque Ambrosetti Anstruther Arbuthnot Armitage Athanasiou Aucoin Babatunde Bannerjee Barraclough
Beauchamp Bellingham Bergstrom Bettencourt Blackwood Boateng Bondarenko Borowski Bracegirdle Brennan Buckingham Cadwallader
Calderon Carmichael Castellane Chatterjee Chernenko Cholmondeley Cornwallis Crabtree Cuthbertson Dabrowski Dankworth Delgado
Desrosiers Dimitriou Drummond Duchesne Dvorak Eccleston Edgerton Ekwueme Elphinstone Esposito Etherington Fairbanks
Farquharson Fernsby Ferrante Fortescue Fotheringay Frobisher Gallardo Gascoigne Giordano Goldschmidt Greenhalgh Grosvenor
Gudmundsson Gwynedd Hargreave Hartigan Hawksworth Heathcote Hernandez Hofstadter Humphreys Ignatieff Illingworth Isaksen
Jankowski Jaramillo Jessop Kapoor Karamanlis Kilbride Kinkaid Kristiansen Lamartine Laszlo Leclercq Lefebvre
Lindqvist Loughlin Lundgren Macalister Maclennan Makarova Malinowski Mastroianni Mendelsohn Merriweather Montague Moravec
Mortimer Mulrooney Nasrallah Nesbitt Nwachukwu Oberholzer Ogilvie Olasunkanmi Ortolani Ostrowski Papadakis Pendlebury
Pettigrew Pilkington Plunkett Poniatowski Quintero Rackham Ramaswamy Ravenscroft Reinholt Rigby Rossetti Rowbotham
Sadowski Salazar Scaramanga Sedgwick Shackleton Sigurdsson Skjelbred Smallwood Soderberg Spenlow Stanhope Sutcliffe
Tagliaferro Talbot Thistlethwaite Throckmorton Tolliver Trevelyan Tsiolkovsky Uchenna Underhill Valentini Vandermeer Vaughan
Velasquez Vonnegutt Wadsworth Wakefield Warburton Weatherby Wiśniewski Wolstenholme Yeboah Zanetti Zubrowski""".split()

# Connecting words for a retold plot point; the first point of a retelling may take an opener.
OPENERS = ["", "", "", "The setup: ", "Basically, ", "In short, ", "Here is the premise: ", "Plot-wise, ",
           "For those who haven't seen it, ", "So, ", "Without spoiling too much, ", "The story goes like this: ",
           "Quick summary: ", "OK, so ", "The film opens with this: "]
LINKS = ["", "", "", "", "Then ", "Soon ", "Later ", "After that, ", "Meanwhile, ", "Before long, ", "Of course, ",
         "It turns out that ", "At some point ", "Halfway through, ", "Somehow ", "Predictably, ", "Eventually ",
         "In the meantime, ", "To make things worse, ", "On top of that, ", "Inevitably, ", "By now ",
         "Around the middle, ", "Next, ", "Not long after, ", "And then ", "Naturally, ", "Sure enough, "]
@dataclass
class Body:
    """One hand-written review before it is placed: its label, tags and paragraphs."""

    label: int
    lukewarm: bool
    genre: str | None
    paragraphs: list[str]
    source: str
    film: str | None = None  # the slug of the film it describes, when it describes one
    standalone: bool = False  # it tells its own premise, so no plot of another film is retold with it

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass
class Film:
    """One invented film: its hand-written outline, and the cast this script gives it."""

    genre: str
    title: str
    hero: str
    points: list[str]
    cast: dict[str, str] = field(default_factory=dict)
    bodies: list[Body] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """How a review names the film it describes: ``@`` and the title's letters and digits, lower case."""
        return re.sub(r"[^a-z0-9]", "", self.title.lower())


def read_bodies(folder: Path = WRITTEN) -> list[Body]:
    """Every hand-written review in the batch files, in file order."""
    bodies = []
    for path in sorted(folder.glob("batch*.txt")):
        for block in re.split(r"^== ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
            head, _, text = block.partition("\n")
            tags = head.split()
            if tags[0] not in ("pos", "neg"):
                raise ValueError(f"{path.name}: a block must start with '== pos' or '== neg', not {head!r}")
            genres = [t for t in tags[1:] if t not in ("~", "!") and not t.startswith("@")]
            films = [t[1:] for t in tags[1:] if t.startswith("@")]
            paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
            bodies.append(Body(int(tags[0] == "pos"), "~" in tags, genres[0] if genres else None, paragraphs, path.name,
                               films[0] if films else None, "!" in tags))
    return bodies


def read_films(folder: Path = WRITTEN) -> list[Film]:
    """Every hand-written film outline, in file order.

    A block headed ``== more | Title`` adds points to a film written earlier: a line ``N: text`` goes
    after that film's N-th original point, so the outline stays in story order.
    """
    films: list[Film] = []
    more: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for path in sorted(folder.glob("films_*.txt")):
        for block in re.split(r"^== ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
            head, _, text = block.partition("\n")
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            parts = [part.strip() for part in head.split("|")]
            if parts[0] == "more":
                for line in lines:
                    after, _, point = line.partition(":")
                    more[parts[1]].append((int(after), point.strip()))
                continue
            genre, title, hero = parts
            films.append(Film(genre, title, hero, lines))
    titles = {film.title: film for film in films}
    if len(titles) < len(films):
        twice = sorted(title for title, count in Counter(film.title for film in films).items() if count > 1)
        raise ValueError(f"films with the same title (rename one): {twice}")
    unknown = set(more) - set(titles)
    if unknown:
        raise ValueError(f"outline additions for films that do not exist: {sorted(unknown)}")
    for title, additions in more.items():
        film = titles[title]
        slots: list[list[str]] = [[point] for point in film.points]
        for after, point in additions:
            slots[min(max(after, 1), len(slots)) - 1].append(point)
        film.points = [point for slot in slots for point in slot]
    return films


def _cast(rng: random.Random, films: list[Film]) -> None:
    """A director, a star and a co-star for every film; some people work on several films."""
    firsts, lasts = FIRST[:], LAST[:]
    rng.shuffle(firsts)
    rng.shuffle(lasts)
    people = [f"{firsts[i % len(firsts)]} {lasts[i % len(lasts)]}" for i in range(int(len(films) * 2.5))]
    for film in films:
        star, co, director = rng.sample(people, 3)
        film.cast = {"star": star, "co": co, "dir": director}


def _load(film: Film) -> float:
    """Reviews per plot word: films with longer outlines take more reviews, so retellings overlap less."""
    return len(film.bodies) / sum(len(point.split()) for point in film.points)


def _assign(rng: random.Random, bodies: list[Body], films: list[Film]) -> dict[str, list[Film]]:
    """Split the films into train and test, then give every review a film, balancing labels per split."""
    order = films[:]
    rng.shuffle(order)
    by_genre: dict[str, list[Film]] = defaultdict(list)
    for film in order:
        by_genre[film.genre].append(film)
    by_slug = {film.slug: film for film in films}
    named = [b for b in bodies if b.film]
    tagged = [b for b in bodies if b.genre and not b.film]
    untagged = [b for b in bodies if not b.genre and not b.film]
    unknown = {b.genre for b in tagged} - set(by_genre) | {b.film for b in named} - set(by_slug)
    if unknown:
        raise ValueError(f"reviews tagged with genres or films that do not exist: {sorted(unknown)}")
    for body in named:
        if body.genre and body.genre != by_slug[body.film].genre:
            raise ValueError(f"{body.source}: a {body.genre} review of {by_slug[body.film].title}, a {by_slug[body.film].genre}")
        by_slug[body.film].bodies.append(body)
    # Test films: about TEST_SHARE of each genre, so both splits cover every genre.
    splits: dict[str, list[Film]] = {"train": [], "test": []}
    for genre in sorted(by_genre):
        group = by_genre[genre]
        n_test = max(1, round(len(group) * TEST_SHARE))
        splits["test"] += group[:n_test]
        splits["train"] += group[n_test:]
    # Reviews of no particular film go to the split that needs their label most (each split
    # balanced and near its share), then to the least-loaded film there (of their genre, if tagged).
    counts = {name: Counter(b.label for f in group for b in f.bodies) for name, group in splits.items()}
    total = len(bodies)
    free = tagged + untagged
    rng.shuffle(free)
    for body in free:
        def need(name: str) -> float:
            target = total * (TEST_SHARE if name == "test" else 1 - TEST_SHARE) / 2
            return target - counts[name][body.label]
        name = max(splits, key=lambda n: (need(n), n))
        group = [f for f in splits[name] if body.genre in (None, f.genre)]
        min(group, key=lambda f: (_load(f), group.index(f))).bodies.append(body)
        counts[name][body.label] += 1
    for name in splits:  # drop the fewest reviews that make a split unbalanced (reported by main)
        excess = counts[name][1] - counts[name][0]
        label = 1 if excess > 0 else 0
        for film in reversed(splits[name]):
            while abs(excess) and any(b.label == label for b in film.bodies):
                film.bodies.remove(next(b for b in reversed(film.bodies) if b.label == label))
                excess += -1 if label == 1 else 1
    return splits


def _bare(word: str) -> str:
    """A word without punctuation or a possessive: "Martin's," -> "Martin"."""
    word = word.strip(PUNCTUATION)
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _names(films: list[Film]) -> set[str]:
    """Names, and titles with a name ("Father Kinsella"), as the outlines write them.

    A name is a hero's name, an acronym, a word capitalised inside sentences more often than it is
    written there in lower case ("Grace"), or one capitalised at least twice and never in lower
    case ("Tilly", who only ever starts a sentence). A title is a capitalised word followed by a
    name inside a sentence, kept as "Father Kinsella" (one string with a space), since "father"
    alone is also a common word.
    """
    points = [[_bare(word) for word in point.split()] for film in films for point in film.points]
    lower = Counter(word for words in points for word in words[1:] if word[:1].islower())
    inside = Counter(word for words in points for word in words[1:] if word[:1].isupper())
    anywhere = Counter(word for words in points for word in words if word[:1].isupper())
    names = {word for word in inside if inside[word] > lower[word.lower()]}
    names |= {word for word in anywhere if anywhere[word] >= 2 and not lower[word.lower()]}
    names |= {word for word in anywhere if len(word) > 1 and word.isupper()}
    names |= {word for film in films for word in film.hero.split()} | NAMES_LIKE_WORDS
    titles = {f"{first} {second}" for words in points for first, second in zip(words[1:], words[2:])
              if first[:1].isupper() and second in names}
    return names | titles | {"I"}


def _lower_first(point: str, names: set[str]) -> str:
    """The point as it reads after a connecting word ("Then ..."): its first letter in lower case unless it starts with a name."""
    words = [_bare(word) for word in point.split(" ", 2)[:2]]
    if words[0] in names or " ".join(words) in names:
        return point
    return point[0].lower() + point[1:]


def _retell(rng: random.Random, film: Film, want: int, used: Counter, names: set[str]) -> list[str]:
    """Plot paragraphs of about `want` words: some of the film's points in order, with connecting words."""
    if want <= 0:
        return []
    points = film.points
    size = len(points)
    words = [len(p.split()) for p in points]
    # A run of points starting near the beginning (most retellings start with the premise).
    start = 0 if rng.random() < 0.6 else rng.randrange(0, max(1, size // 3))
    chosen, total = [], 0
    for index in range(start, size):
        if total >= want or len(chosen) >= MAX_POINTS:
            break
        if total and want < 150 and rng.random() < 0.25:  # short retellings skip a point now and then
            continue
        chosen.append(index)
        total += words[index]
    sentences = []
    for position, index in enumerate(chosen):
        options = OPENERS if position == 0 else LINKS
        for _ in range(40):
            link = rng.choice(options)
            point = points[index]
            if "turns out" in point and "turns out" in link:
                continue
            sentence = link + (_lower_first(point, names) if link else point)
            if used[sentence] < MAX_SENTENCE_REVIEWS:
                break
        else:
            continue
        used[sentence] += 1
        sentences.append(sentence)
    paragraphs, current = [], []
    per_paragraph = rng.choice([3, 4, 5, 6, 8])
    for sentence in sentences:
        current.append(sentence)
        if len(current) >= per_paragraph:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i:i + 3]) for i in range(max(len(words) - 2, 1))}


def _fill(text: str, film: Film) -> str:
    return text.format(film=film.title, hero=film.hero, **film.cast)


def _plot_words(rng: random.Random, body: Body) -> int:
    """How many words of plot to retell with a review: none for some, else about its opinion's length (right-skewed)."""
    if body.standalone or rng.random() < NO_PLOT:
        return 0
    want = int(body.words * PLOT_PER_OPINION_WORD * math.exp(rng.gauss(0, PLOT_SPREAD)))
    return min(want, MAX_PLOT) if want >= MIN_PLOT else 0


def _compose(rng: random.Random, film: Film, body: Body, used: Counter, kept: list[set], names: set[str]) -> tuple[str, str]:
    """One review (the body, with part of the plot retold before it or after its first paragraph) and its retold plot."""
    wanted = _plot_words(rng, body)
    opinion = [_fill(p, film) for p in body.paragraphs]
    for attempt in range(7):  # less plot each time; the last try has none
        want = wanted // (attempt + 1) if attempt < 6 else 0
        trial = Counter(used)
        plot = _retell(rng, film, want, trial, names) if want >= MIN_PLOT else []
        if plot and len(opinion) > 1 and rng.random() < 0.35:
            paragraphs = opinion[:1] + plot + opinion[1:]
        else:
            paragraphs = plot + opinion
        text = BREAK.join(paragraphs)
        sh = _shingles(text)
        if all(len(sh & other) / len(sh | other) <= MAX_SHINGLE_JACCARD for other in kept):
            used.clear()
            used.update(trial)
            kept.append(sh)
            return text, " ".join(plot)
    raise RuntimeError(f"could not place a review of {film.title!r} without a near-duplicate")


def build() -> list[dict]:
    """All reviews, each {"text", "label", "split", "film", "lukewarm", "plot" (the retold part)}; the same for a given SEED."""
    rng = random.Random(SEED)
    bodies, films = read_bodies(), read_films()
    names = _names(films)
    _cast(rng, films)
    splits = _assign(rng, bodies, films)
    used: Counter = Counter()
    rows = []
    for name in ("train", "test"):
        for film in sorted(splits[name], key=lambda f: f.title):
            kept: list[set] = []
            for body in film.bodies:
                text, plot = _compose(rng, film, body, used, kept, names)
                rows.append({"text": text, "label": body.label, "split": name, "film": film.title,
                             "lukewarm": body.lukewarm, "plot": plot})
    _check_sentences(rows)
    return rows


def _check_sentences(rows: list[dict]) -> None:
    """No exact sentence in more than two reviews (hand-written ones included), as review-stats counts sentences."""
    from course_utils.tools.review_stats import sentences

    where: dict[str, set[int]] = defaultdict(set)
    for index, row in enumerate(rows):
        for sentence in sentences(row["text"]):
            where[sentence].add(index)
    shared = sorted((len(found), sentence) for sentence, found in where.items() if len(found) > MAX_SENTENCE_REVIEWS)
    if shared:
        raise ValueError(f"sentences in more than {MAX_SENTENCE_REVIEWS} reviews (rewrite them): {shared[-10:]}")


def main() -> int:
    """Rebuild reviews.jsonl; a hand-written file that breaks a rule is one line naming it, and exit status 1."""
    try:
        bodies = read_bodies()
        rows = build()
    except (ValueError, RuntimeError) as error:  # the builder's own checks of the hand-written files
        print(f"error: the reviews do not build: {error}. Fix: edit the files in {WRITTEN} as the message says, "
              "then run this script again.", file=sys.stderr)
        return 1
    with OUT.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    dropped = len(bodies) - len(rows)
    print(f"wrote {len(rows)} reviews to {OUT.name}" + (f" ({dropped} left out to balance the splits)" if dropped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
