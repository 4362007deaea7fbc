"""Builds ``reviews.jsonl``: the course's own labelled movie reviews, the offline stand-in for IMDb.

Every sentence below was written for this project by the course authors; no text was copied
from IMDb or anywhere else. The films, people and places are invented. A seeded composer
assembles the sentences into reviews shaped like IMDb's (see REVIEWS_CARD.md): short one-liners,
single paragraphs, and long reviews that retell the plot before a verdict, with ``<br /><br />``
breaks, ratings written in the text, capitals for emphasis and the odd spelling slip. It rejects
any review too close to one already kept, so the set has no near-duplicates.

Run ``python course_utils/data/build_reviews.py`` to rebuild the file; the output is the same
byte for byte each time (tests/test_reviews.py checks that the shipped file matches).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SEED = 20261123
N_FILMS = 150
REVIEWS_PER_FILM = 8  # 1,200 reviews, 600 of each label
TEST_FILMS = 40  # films 0..39 go to the test split: train and test share no film
OUT = Path(__file__).with_name("reviews.jsonl")
MAX_SHINGLE_JACCARD = 0.35  # the composer's own bar; the tests use 0.5

# ----------------------------------------------------------------------------- invented world
TITLE_A = ["Last", "Silent", "Broken", "Paper", "Iron", "Velvet", "Hollow", "Crimson", "Distant", "Winter",
           "Neon", "Quiet", "Burning", "Glass", "Midnight", "Salt", "Northern", "Lonely", "Golden", "Wild"]
TITLE_B = ["Harbor", "Orchard", "Signal", "Lantern", "Kingdom", "Frontier", "Carnival", "Ledger", "Garden",
           "Tide", "Witness", "Engine", "Choir", "Mirror", "Canyon", "Archive", "Parade", "Meridian", "Compass", "Furnace"]
FIRST = ["Mara", "Jonah", "Elise", "Tobias", "Nadia", "Felix", "Ingrid", "Marcus", "Lena", "Owen", "Priya", "Caleb",
         "Rosa", "Dmitri", "Hattie", "Arlo", "Simone", "Gideon", "Tamsin", "Rafael", "Wren", "Bastian", "Odile", "Kofi"]
LAST = ["Kessler", "Arden", "Voss", "Okafor", "Lindqvist", "Moreau", "Halloran", "Castellano", "Brandt", "Quill",
        "Ferreira", "Ashby", "Nakamura", "Delacroix", "Pryor", "Szabo", "Whitlock", "Ibsen", "Marchetti", "Coyle"]
PLACES = ["a fishing town in Maine", "a crumbling hotel in Lisbon", "a mining colony on Mars", "a boarding school in Wales",
          "a border town in Texas", "a houseboat on the Danube", "a snowed-in research station", "a travelling circus",
          "a high-rise in Seoul", "a vineyard in Tuscany", "a prison island", "an abandoned amusement park",
          "a small Irish village", "a generation ship", "a 1970s newsroom", "a jazz club in New Orleans"]

GENRES = {
    "thriller": [
        "{hero} is a {job} who finds a {thing} that someone powerful wants back.",
        "After a witness disappears, {hero} starts to suspect that the police are part of the problem.",
        "The story follows {hero} across {place} while a hired killer stays two steps behind.",
        "Every clue seems to lead back to {villain}, a charming businessman with a very clean record.",
        "When {hero}'s partner is framed for murder, the only proof of innocence is hidden in {place}.",
        "The second half turns into a cat-and-mouse game between {hero} and {villain}.",
    ],
    "romance": [
        "{hero} and {other} meet when their luggage gets swapped on a delayed train.",
        "She runs a failing bookshop in {place}, he is the developer who wants to buy the building.",
        "Over one summer, {hero} has to choose between a safe engagement and an old flame who comes back to town.",
        "The two leads spend most of the film pretending to be a couple for the sake of a family wedding.",
        "Letters from a dead grandmother send {hero} to {place} to find a man named {other}.",
        "It is told in flashbacks, jumping between their first meeting and the week they almost split up.",
    ],
    "horror": [
        "A family moves into an old house in {place} and the youngest daughter starts talking to someone who is not there.",
        "{hero} takes a night job at {place} and soon notices that the security cameras show people who never came in.",
        "Five friends go camping near a lake that the locals refuse to name.",
        "A podcast host investigating a cold case finds that the recordings have voices on them that nobody heard live.",
        "The thing in the basement only moves when the lights are off, which the film milks for all it is worth.",
        "{hero} inherits a doll collection from an aunt she barely knew, and of course one of the dolls is missing.",
    ],
    "comedy": [
        "Two estranged brothers have to drive their father's ashes across the country in an ice cream van.",
        "{hero} lies on a CV to get a job as a chef at the fanciest restaurant in {place} and cannot cook.",
        "A retired magician and his ex-wife team up to win a reality show for the prize money.",
        "The premise is that {hero}, a very bad wedding planner, is hired for the wedding of {villain}'s daughter.",
        "A small-town mayor fakes a monster sighting to bring tourists back, and it works far too well.",
        "{hero} and {other} are rival dentists who end up sharing an office after a flood.",
    ],
    "war drama": [
        "{hero} is a young medic stationed in {place} during the last winter of the war.",
        "A group of soldiers is sent behind the lines to bring back a radio operator who may already be dead.",
        "The film cuts between the front and the letters {hero}'s mother writes home.",
        "Much of the story takes place in one farmhouse where enemy soldiers and a family wait out a storm.",
        "{hero} has to decide whether to report {other}, a friend who deserted to save his brother.",
        "It is based loosely on a real battle, though the characters are invented.",
    ],
    "science fiction": [
        "In the near future, memories can be sold, and {hero} works as a broker who never keeps any of her own.",
        "The crew of {place} wakes up from cryosleep two hundred years too early.",
        "{hero} discovers that every night at 3:07 the city resets and only she remembers the day before.",
        "An AI built to run a hospital starts making decisions the doctors do not understand.",
        "A signal from deep space turns out to be a recording of {hero}'s own voice.",
        "The colonists on {place} are told the planet is safe, but the soil says otherwise.",
    ],
    "western": [
        "{hero}, a widowed rancher, refuses to sell her land to the railway company run by {villain}.",
        "A bounty hunter escorts a prisoner across the desert, and the prisoner never stops talking.",
        "The town of Red Hollow hires a sheriff who turns out to be wanted in three states.",
        "{hero} comes home after ten years away to find his brother working for the man who killed their father.",
        "Most of the film is a long, dusty chase through {place} and the mountains beyond it.",
        "Two families fight over the only well for fifty miles during a drought.",
    ],
    "animated family film": [
        "A young fox named {hero} leaves the forest to find out where the river ends.",
        "A toy robot is accidentally shipped to {place} and has to find its way back before the birthday party.",
        "The story follows a shy dragon who would rather bake than breathe fire.",
        "{hero}, a lighthouse keeper's daughter, befriends a whale who cannot sing.",
        "A group of garden gnomes come to life every night to protect the vegetable patch from a greedy raccoon.",
        "The villain is a cat who wants to switch off the moon so that he can hunt in the dark forever.",
    ],
    "crime drama": [
        "{hero} is a bookkeeper for the mob in {place} who decides to testify.",
        "The film spends three decades with two childhood friends, one a detective and one a gangster.",
        "A botched robbery leaves {hero} holding a bag of money and a hostage she never wanted.",
        "{villain} runs the docks, the unions and half the city council, and everybody knows it.",
        "A retired safecracker is pulled back for one last job by the son of his old partner.",
        "Told mostly through interrogation scenes, the story slowly reveals who actually fired the gun.",
    ],
    "musical": [
        "{hero} is a cleaner at a concert hall who secretly writes songs at night.",
        "A struggling theatre company in {place} stages one last show before the building is demolished.",
        "The plot, such as it is, concerns a singing competition and two sisters who both want to win it.",
        "{hero} and {other} fall in love through the wall of a cheap apartment, one playing piano and one singing.",
        "A travelling band gets stranded in {place} and has to play at a funeral to pay for repairs.",
        "The songs move the story forward, covering ten years of a marriage in about twelve numbers.",
    ],
}
JOBS = ["night nurse", "court stenographer", "tow truck driver", "museum guard", "insurance clerk", "ferry pilot",
        "locksmith", "junior reporter", "translator", "taxi dispatcher"]
THINGS = ["ledger", "roll of film", "hard drive", "key to a safe deposit box", "diary", "voicemail"]

# ----------------------------------------------------------------------------- opinions by aspect
POS = {
    "acting": [
        "{actor} is terrific as {hero}, tired and funny and frightened all at once.",
        "The performances are uniformly strong, but {actor} walks away with the film.",
        "{actor} does more with a single look than most actors do with a whole monologue.",
        "I have never been a fan of {actor}, and I have to admit I was wrong about them.",
        "Even the small parts are cast with care; the landlady with two scenes is unforgettable.",
        "The chemistry between the leads feels real, which is the whole ballgame in a film like this.",
        "{actor} plays the villain without a single moustache-twirling moment, and that makes him scarier.",
        "The child actors are natural and never cute for the sake of it.",
        "Watching {actor} fall apart in the final act was genuinely hard, in the best way.",
        "The cast clearly trusted each other, and you can feel it in the long takes.",
    ],
    "story": [
        "The script is tight: every scene earns its place and nothing is explained twice.",
        "It takes a familiar set-up and keeps finding small surprises inside it.",
        "The dialogue is sharp and funny without ever sounding written.",
        "I did not see the twist coming, and when it came it made sense of everything before it.",
        "The film trusts its audience, leaving gaps that you fill in on the drive home.",
        "The plot is simple, but the characters are so well drawn that it does not matter.",
        "Not a single subplot feels tacked on, which is rare for a film this long.",
        "The writing handles grief honestly, with no speeches and no easy answers.",
    ],
    "direction": [
        "{director} directs with real patience, letting scenes breathe when they need to.",
        "The pacing is excellent; two and a half hours flew by.",
        "{director} knows exactly when to cut away, and the restraint pays off.",
        "The tension builds so gradually that I only noticed I was gripping the armrest at the end.",
        "Every scene is staged with a clear idea of what it is for.",
        "It moves like a train once it gets going, and it never runs off the rails.",
    ],
    "look": [
        "The cinematography is gorgeous; you could frame half the shots and hang them on a wall.",
        "The colours do a lot of storytelling: warm for the past, cold and grey for the present.",
        "The production design makes {place} feel lived in rather than built for the camera.",
        "The effects are modest but they serve the story, and they still look good.",
        "Shot on location, and it shows in every frame.",
        "The night scenes are actually lit so you can see what is going on, thank you.",
    ],
    "sound": [
        "The score is lovely and knows when to stay quiet.",
        "The soundtrack is full of songs I went home and looked up.",
        "The sound design does half the work in the scary scenes.",
        "I am still humming the main theme two days later.",
        "The music swells at exactly the right moments without ever telling you what to feel.",
    ],
    "ending": [
        "The ending is earned, and it left the whole theatre quiet.",
        "The final ten minutes are some of the best I have seen this year.",
        "It ends on a note that is hopeful without being sugary.",
        "The last shot is perfect and I will not spoil it.",
        "The resolution ties things up just enough and leaves the rest to you.",
    ],
}
NEG = {
    "acting": [
        "{actor} sleepwalks through the role as if reading the lines off a card held just out of shot.",
        "The lead has all the charisma of a parking meter.",
        "{actor} overacts so wildly that every scene feels like an audition for a different film.",
        "Nobody in the cast seems to know what film they are in.",
        "The romance falls flat because the two leads have zero chemistry.",
        "The villain is pure cardboard, and {actor} does nothing to fold him into shape.",
        "Even {actor}, usually reliable, looks embarrassed to be there.",
        "The child actor is directed to shout every line, which gets old fast.",
        "I could not believe a single reaction from anyone on screen.",
        "The accents wander across three continents within one conversation.",
    ],
    "story": [
        "The script is a mess: characters change their minds whenever the plot needs them to.",
        "Plot holes you could drive a truck through, and the film does, twice.",
        "The dialogue is so clunky that people in my row laughed at the serious parts.",
        "The twist is visible from the first ten minutes and the film still acts proud of it.",
        "Half the subplots are set up and then simply forgotten.",
        "Every character explains their feelings out loud, in full sentences, as if we might miss them.",
        "It is a story we have all seen a hundred times, told with less energy than usual.",
        "The writers seem to have confused being confusing with being clever.",
    ],
    "direction": [
        "The pacing is glacial; nothing happens for the first hour, and then not much more.",
        "{director} seems to think that shaking the camera is the same as creating tension.",
        "It is at least forty minutes too long.",
        "The editing is so choppy that I lost track of who was where in every action scene.",
        "Scenes just stop rather than end, as if the crew ran out of time.",
        "{director} cannot decide whether this is a comedy or a tragedy, so it is neither.",
    ],
    "look": [
        "The whole thing is shot in the same muddy grey, so it is hard to tell day from night.",
        "The special effects look like a video game from twenty years ago.",
        "The sets wobble. I am not exaggerating, a wall actually wobbles.",
        "The night scenes are so dark I watched my own reflection on the screen for most of them.",
        "The green screen is painfully obvious in every outdoor scene.",
        "It looks cheap, and not in a charming way.",
    ],
    "sound": [
        "The music never stops telling you what to feel, loudly.",
        "The sound mix buries half the dialogue under the score.",
        "Every sad scene gets the same slow piano, until it becomes a joke.",
        "The jump scares are just sudden loud noises, over and over.",
        "The songs are forgettable, which is a problem in a musical.",
    ],
    "ending": [
        "The ending is a cop-out that undoes the one brave thing the film did.",
        "It does not end so much as stop, mid-thought.",
        "The final twist made me want my evening back.",
        "By the time the big showdown arrived I simply did not care who won.",
        "The last scene sets up a sequel nobody asked for.",
    ],
}
# Praise or a complaint that cuts against the verdict: mixed feelings.
POS_BUT = [
    "Yes, the middle drags a little, but it is worth sitting through.",
    "The effects are nothing special, but the film is not really about them.",
    "I wish the villain had more to do, though that is a small complaint.",
    "Some of the jokes miss, but the ones that land really land.",
    "It is a bit too long, and I still would not cut a scene.",
    "The first twenty minutes are slow, so stick with it.",
    "Not everything works; the subplot with the neighbour goes nowhere. The rest more than makes up for it.",
]
NEG_BUT = [
    "To be fair, the cinematography is pretty, but pretty pictures cannot save a dead script.",
    "{actor} tries hard, and I felt sorry for them.",
    "The first twenty minutes are promising, which only makes the rest more disappointing.",
    "There is one good scene, in a kitchen, and it only shows what the film could have been.",
    "The score is decent. That is the nicest thing I can say.",
    "I liked the opening credits. It went downhill from there.",
    "The idea behind it is interesting, I will give it that, but the execution is lazy.",
]
# Negation, sarcasm and contrast, where single words point the wrong way.
POS_TRICKY = [
    "I did not expect to like this, and I did not expect to cry at the end, but both happened.",
    "It is not perfect, but it is not trying to be, and that is its charm.",
    "I cannot think of a single scene I would cut.",
    "Never boring, never cheap, never condescending.",
    "It is hard to find anything bad to say about it.",
    "The critics who called it slow were not paying attention.",
    "I was ready to hate it after the trailer, and I was wrong.",
    "There is nothing groundbreaking here, and it does not matter one bit.",
    "Not a film I would have picked myself, and I am glad my sister dragged me along.",
    "You would not guess from the poster how moving it is.",
]
NEG_TRICKY = [
    "Oh good, another film where the heroine solves everything by yelling.",
    "What a treat: two hours of people staring out of rainy windows.",
    "The best part was when the credits rolled, and I mean that.",
    "I have had more fun filling in tax forms.",
    "It is not bad in an entertaining way, it is just bad.",
    "Not funny, not scary, not anything really.",
    "I wanted to love it, I really did, and I could not even like it.",
    "Great, a two-hour trailer for a theme park ride.",
    "If you enjoy watching paint dry, this is the film for you.",
    "The poster promises thrills; the film delivers a nap.",
    "Brilliant idea to hire a great cast and then give them nothing to do.",
    "It is the kind of film that makes you check your watch, then check it again to see if it stopped.",
]

OPENERS = [
    "I saw {title} at a festival screening last week.",
    "I went into {title} knowing nothing about it.",
    "My friends had been talking about {title} for weeks, so I finally gave in.",
    "I rented {title} on a rainy Sunday with low expectations.",
    "I am writing this review right after the credits of {title} finished.",
    "I caught {title} on a long flight, of all places.",
    "{title} came out quietly and I almost missed it.",
    "I have seen every film {director} has made, so I was first in line for {title}.",
    "My kids picked {title} for family movie night.",
    "I read the book years ago, so I had opinions before {title} even started.",
    "I watched {title} twice before writing this, to be fair to it.",
    "Somebody on a forum recommended {title} and I am now questioning that person's judgement.",
    "Let me start by saying I really wanted to like {title}.",
    "I do not usually write reviews, but {title} deserves one.",
    "This is {director}'s third film, and the hype around {title} was enormous.",
    "I went to a late show of {title} with about six other people in the room.",
]
POS_VERDICTS = [
    "Highly recommended. {score}/10.",
    "Go and see it on the biggest screen you can find.",
    "One of the best films of the year, easily.",
    "I am already planning to watch it again. {score} out of 10.",
    "A small gem; seek it out.",
    "Worth every minute and every penny.",
    "If you liked {other_title}, this is even better.",
    "Bring tissues. {score}/10 from me.",
    "Easily the best thing {director} has made.",
    "Do not let the dull title put you off; watch it.",
]
NEG_VERDICTS = [
    "Avoid. {score}/10.",
    "Save your money and rewatch {other_title} instead.",
    "A waste of a good cast. {score} out of 10, and that is generous.",
    "I cannot recommend it to anyone.",
    "Skip it. Life is short.",
    "Maybe wait until it is free on television, and then still skip it.",
    "A real letdown from {director}. {score}/10.",
    "Two hours I will never get back.",
    "Even fans of the genre should stay away.",
    "Not worth the ticket, the popcorn or the parking.",
]
SHORT_POS = [
    "Loved every minute of {title}.",
    "{title} is a warm, clever film that I will be recommending to everyone.",
    "Funny, moving and beautifully acted; {title} is a real treat.",
    "Simply wonderful. {actor} has never been better.",
    "I did not want {title} to end.",
    "A smart, tense thriller that never insults your intelligence.",
    "{title}: gorgeous to look at and even better to think about afterwards.",
    "Not a dull moment in it.",
]
SHORT_NEG = [
    "{title} is a boring mess and I walked out after an hour.",
    "Dull, loud and far too long.",
    "I have never been so bored in a cinema, and I once saw a documentary about concrete.",
    "{actor} deserved better than {title}.",
    "Clumsy writing, flat acting, no reason to exist.",
    "{title} was not scary, not funny, and not over soon enough.",
    "Even the trailer was better than this.",
    "A lazy cash grab from start to finish.",
]
CONTEXT = [
    "I went with my partner, who liked it a little more than I did.",
    "The audience around me clapped at the end, which almost never happens.",
    "It is rated PG-13, but younger kids might find a few scenes intense.",
    "I saw it in a packed theatre on opening night.",
    "For what it is worth, I watched the original version with subtitles.",
    "It runs just over two hours.",
    "I knew the director's earlier work only from short films.",
    "The version I saw was the director's cut, which is apparently twenty minutes longer.",
]
TYPOS = {"definitely": "definately", "really": "realy", "the": "teh", "their": "there", "believe": "beleive",
         "until": "untill", "separate": "seperate", "beautiful": "beautifull", "which": "wich"}
ASPECTS = list(POS)


def _fill(rng: random.Random, text: str, film: dict) -> str:
    return text.format(
        title=film["title"], director=film["director"], actor=rng.choice(film["cast"]), hero=film["hero"],
        other=film["other"], villain=film["villain"], place=film["place"], job=rng.choice(JOBS),
        thing=rng.choice(THINGS), other_title=film["other_title"], score=film["score"],
    )


def _make_films(rng: random.Random) -> list[dict]:
    titles = rng.sample([f"The {a} {b}" for a in TITLE_A for b in TITLE_B], N_FILMS + 40)
    people = [f"{f} {l}" for f in FIRST for l in LAST]
    films = []
    for i in range(N_FILMS):
        genre = list(GENRES)[i % len(GENRES)]
        films.append({
            "title": titles[i], "other_title": titles[N_FILMS + i % 40], "genre": genre,
            "director": rng.choice(people), "cast": rng.sample(people, 3), "hero": rng.choice(FIRST),
            "other": rng.choice(FIRST), "villain": rng.choice(people), "place": rng.choice(PLACES), "score": 0,
        })
    return films


def _noise(rng: random.Random, text: str) -> str:
    """Typos, capitals for emphasis and exclamation marks, as real reviewers write."""
    if rng.random() < 0.25:
        word = rng.choice([w for w in TYPOS if re.search(rf"\b{w}\b", text)] or [""])
        if word:
            text = re.sub(rf"\b{word}\b", TYPOS[word], text, count=1)
    if rng.random() < 0.15:
        for word in ("really", "so", "never", "not", "best", "worst", "nothing", "every"):
            if re.search(rf"\b{word}\b", text):
                text = re.sub(rf"\b{word}\b", word.upper(), text, count=1)
                break
    if rng.random() < 0.1:
        text = text.rstrip(".") + "!!!" if text.endswith(".") else text
    return text


def _review(rng: random.Random, film: dict, label: int) -> str:
    """Compose one review of `film` with the given label (1 = pos, 0 = neg)."""
    own, other_side = (POS, NEG) if label else (NEG, POS)
    tricky, but = (POS_TRICKY, POS_BUT) if label else (NEG_TRICKY, NEG_BUT)
    verdicts = POS_VERDICTS if label else NEG_VERDICTS
    film = dict(film, score=rng.choice([7, 8, 8, 9, 10]) if label else rng.choice([1, 2, 3, 3, 4]))
    shape = rng.choices(["one", "para", "long"], weights=[0.12, 0.38, 0.5])[0]
    fill = lambda s: _fill(rng, s, film)  # noqa: E731
    if shape == "one":
        short = SHORT_POS if label else SHORT_NEG
        parts = [fill(rng.choice(short))]
        if rng.random() < 0.5:
            parts.append(fill(rng.choice(verdicts)))
        return _noise(rng, " ".join(parts))
    aspects = rng.sample(ASPECTS, rng.randint(2, 4) if shape == "para" else rng.randint(4, 6))
    opinions = [fill(rng.choice(own[a])) for a in aspects]
    if rng.random() < 0.6:  # mixed feelings: one point for the other side
        opinions.insert(rng.randrange(len(opinions) + 1), fill(rng.choice(other_side[rng.choice(ASPECTS)])))
        opinions.append(fill(rng.choice(but)))
    if rng.random() < 0.7:
        opinions.insert(rng.randrange(len(opinions) + 1), fill(rng.choice(tricky)))
    verdict = fill(rng.choice(verdicts))
    if shape == "para":
        start = [fill(rng.choice(OPENERS))] if rng.random() < 0.6 else []
        return _noise(rng, " ".join(start + opinions + [verdict]))
    plot = rng.sample(GENRES[film["genre"]], rng.randint(2, 5))
    paragraphs = [
        " ".join([fill(rng.choice(OPENERS))] + ([fill(rng.choice(CONTEXT))] if rng.random() < 0.5 else [])),
        " ".join(fill(s) for s in plot) + (" I will not say more about the plot than that." if rng.random() < 0.4 else ""),
    ]
    cut = rng.randint(1, len(opinions))
    paragraphs += [" ".join(opinions[:cut]), " ".join(opinions[cut:] + [verdict])]
    return "<br /><br />".join(_noise(rng, p) for p in paragraphs if p)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i:i + 3]) for i in range(max(len(words) - 2, 1))}


def build() -> list[dict]:
    """All reviews, each {"text", "label", "split", "film"}; deterministic for a given SEED."""
    rng = random.Random(SEED)
    films = _make_films(rng)
    rows: list[dict] = []
    kept: list[set] = []
    for index, film in enumerate(films):
        split = "test" if index < TEST_FILMS else "train"
        for k in range(REVIEWS_PER_FILM):
            label = k % 2
            for _ in range(200):
                text = _review(rng, film, label)
                sh = _shingles(text)
                if all(len(sh & other) / len(sh | other) <= MAX_SHINGLE_JACCARD for other in kept):
                    break
            else:
                raise RuntimeError("could not compose a review different enough from the others; add sentences")
            kept.append(sh)
            rows.append({"text": text, "label": label, "split": split, "film": film["title"]})
    return rows


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} reviews to {OUT.name}")


if __name__ == "__main__":
    main()
