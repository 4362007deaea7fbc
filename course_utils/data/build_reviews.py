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
        "{hero} spends most of the second hour trying to decode a list of names and dates.",
        "A safe house in {place} turns out to be anything but safe.",
        "The clock is ticking: the evidence will be destroyed at dawn.",
    ],
    "romance": [
        "{hero} and {other} meet when their luggage gets swapped on a delayed train.",
        "She runs a failing bookshop in {place}, he is the developer who wants to buy the building.",
        "Over one summer, {hero} has to choose between a safe engagement and an old flame who comes back to town.",
        "The two leads spend most of the film pretending to be a couple for the sake of a family wedding.",
        "Letters from a dead grandmother send {hero} to {place} to find a man named {other}.",
        "It is told in flashbacks, jumping between their first meeting and the week they almost split up.",
        "They argue about everything, from politics to the right way to make tea, so we know how it will end.",
        "A job offer on the other side of the world forces {hero} to decide what she wants.",
        "{other} keeps a secret from the first date onwards, and it is not a small one.",
    ],
    "horror": [
        "A family moves into an old house in {place} and the youngest daughter starts talking to someone who is not there.",
        "{hero} takes a night job at {place} and soon notices that the security cameras show people who never came in.",
        "Five friends go camping near a lake that the locals refuse to name.",
        "A podcast host investigating a cold case finds that the recordings have voices on them that nobody heard live.",
        "The thing in the basement only moves when the lights are off, which the film milks for all it is worth.",
        "{hero} inherits a doll collection from an aunt she barely knew, and of course one of the dolls is missing.",
        "The priest they call in is more frightened than the family.",
        "Every night the scratching in the walls gets a little closer to the children's room.",
        "The old caretaker knows what happened here in 1953, but he will only talk after dark.",
    ],
    "comedy": [
        "Two estranged brothers have to drive their father's ashes across the country in an ice cream van.",
        "{hero} lies on a CV to get a job as a chef at the fanciest restaurant in {place} and cannot cook.",
        "A retired magician and his ex-wife team up to win a reality show for the prize money.",
        "The premise is that {hero}, a very bad wedding planner, is hired for the wedding of {villain}'s daughter.",
        "A small-town mayor fakes a monster sighting to bring tourists back, and it works far too well.",
        "{hero} and {other} are rival dentists who end up sharing an office after a flood.",
        "A mix-up with two identical suitcases leads to a chain of disasters at a very posh funeral.",
        "{hero} pretends to be fluent in Italian to impress {other}'s family, and keeps the lie going for a month.",
        "The big finale takes place at a talent show in a retirement home.",
    ],
    "war drama": [
        "{hero} is a young medic stationed in {place} during the last winter of the war.",
        "A group of soldiers is sent behind the lines to bring back a radio operator who may already be dead.",
        "The film cuts between the front and the letters {hero}'s mother writes home.",
        "Much of the story takes place in one farmhouse where enemy soldiers and a family wait out a storm.",
        "{hero} has to decide whether to report {other}, a friend who deserted to save his brother.",
        "It is based loosely on a real battle, though the characters are invented.",
        "The unit loses its officer in the first attack and {hero}, barely nineteen, has to lead.",
        "Supplies run out in the third week of the siege, and the men start trading their boots for bread.",
        "A ceasefire on Christmas Eve lasts exactly one night.",
    ],
    "science fiction": [
        "In the near future, memories can be sold, and {hero} works as a broker who never keeps any of her own.",
        "The crew of {place} wakes up from cryosleep two hundred years too early.",
        "{hero} discovers that every night at 3:07 the city resets and only she remembers the day before.",
        "An AI built to run a hospital starts making decisions the doctors do not understand.",
        "A signal from deep space turns out to be a recording of {hero}'s own voice.",
        "The colonists on {place} are told the planet is safe, but the soil says otherwise.",
        "The ship's computer insists that there is a fourth passenger, but there are only three aboard.",
        "{hero} travels back ten minutes at a time, which is less useful than it sounds.",
        "The aliens, when they finally show up, want to negotiate about water rights.",
    ],
    "western": [
        "{hero}, a widowed rancher, refuses to sell her land to the railway company run by {villain}.",
        "A bounty hunter escorts a prisoner across the desert, and the prisoner never stops talking.",
        "The town of Red Hollow hires a sheriff who turns out to be wanted in three states.",
        "{hero} comes home after ten years away to find his brother working for the man who killed their father.",
        "Most of the film is a long, dusty chase through {place} and the mountains beyond it.",
        "Two families fight over the only well for fifty miles during a drought.",
        "A stagecoach carrying gold and a preacher with a past rolls into town on the same morning.",
        "{hero} teaches the farmers to shoot, badly, in the week before the raid.",
        "The final stand-off happens at noon, in the rain, which at least is new.",
    ],
    "animated family film": [
        "A young fox named {hero} leaves the forest to find out where the river ends.",
        "A toy robot is accidentally shipped to {place} and has to find its way back before the birthday party.",
        "The story follows a shy dragon who would rather bake than breathe fire.",
        "{hero}, a lighthouse keeper's daughter, befriends a whale who cannot sing.",
        "A group of garden gnomes come to life every night to protect the vegetable patch from a greedy raccoon.",
        "The villain is a cat who wants to switch off the moon so that he can hunt in the dark forever.",
        "Along the way {hero} makes friends with a grumpy owl and a hedgehog who cannot stop sneezing.",
        "The toys hold a meeting under the bed to plan the great escape.",
        "A storm separates the friends and each has to find the courage to go on alone.",
    ],
    "crime drama": [
        "{hero} is a bookkeeper for the mob in {place} who decides to testify.",
        "The film spends three decades with two childhood friends, one a detective and one a gangster.",
        "A botched robbery leaves {hero} holding a bag of money and a hostage she never wanted.",
        "{villain} runs the docks, the unions and half the city council, and everybody knows it.",
        "A retired safecracker is pulled back for one last job by the son of his old partner.",
        "Told mostly through interrogation scenes, the story slowly reveals who actually fired the gun.",
        "The FBI agent assigned to the case has her own reasons for wanting {villain} to walk.",
        "{hero} launders the money through a chain of laundromats, which the film finds funnier than I did.",
        "Two decades of loyalty fall apart over one unpaid debt.",
    ],
    "musical": [
        "{hero} is a cleaner at a concert hall who secretly writes songs at night.",
        "A struggling theatre company in {place} stages one last show before the building is demolished.",
        "The plot, such as it is, concerns a singing competition and two sisters who both want to win it.",
        "{hero} and {other} fall in love through the wall of a cheap apartment, one playing piano and one singing.",
        "A travelling band gets stranded in {place} and has to play at a funeral to pay for repairs.",
        "The songs move the story forward, covering ten years of a marriage in about twelve numbers.",
        "The big number in the middle takes place on a crowded ferry in {place}.",
        "{hero} loses her voice three days before the opening night.",
        "Rehearsals go badly, the lead walks out, and the understudy gets her chance.",
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
        "{actor} gives a subtle, heartbreaking performance that deserves every award going.",
        "I was blown away by the supporting cast, especially {actor} as the brother.",
        "Superb acting all round; not one false note.",
        "{actor} is funny, warm and completely believable, a joy to watch.",
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
        "A clever, original story that surprised me more than once.",
        "The characters feel like real people with real problems, and I cared about every one of them.",
        "It is a beautifully written film, full of small moments that stay with you.",
        "The screenplay is witty and intelligent and never talks down to the audience.",
    ],
    "direction": [
        "{director} directs with real patience, letting scenes breathe when they need to.",
        "The pacing is excellent; two and a half hours flew by.",
        "{director} knows exactly when to cut away, and the restraint pays off.",
        "The tension builds so gradually that I only noticed I was gripping the armrest at the end.",
        "Every scene is staged with a clear idea of what it is for.",
        "It moves like a train once it gets going, and it never runs off the rails.",
        "{director} has made a confident, gripping film that holds your attention from the first frame.",
        "The action scenes are thrilling and easy to follow, which is rarer than it should be.",
        "Brilliantly directed; the way the two timelines come together is masterful.",
        "It is exciting, moving and often very funny, and it never loses its balance.",
    ],
    "look": [
        "The cinematography is gorgeous; you could frame half the shots and hang them on a wall.",
        "The colours do a lot of storytelling: warm for the past, cold and grey for the present.",
        "The production design makes {place} feel lived in rather than built for the camera.",
        "The effects are modest but they serve the story, and they still look good.",
        "Shot on location, and it shows in every frame.",
        "The night scenes are actually lit so you can see what is going on, thank you.",
        "Visually stunning from start to finish.",
        "The costumes and sets are wonderful, and every frame is full of detail.",
        "The landscapes are breathtaking, and the camera knows just when to linger on them.",
        "It is a beautiful film to look at, and the look always serves the story.",
    ],
    "sound": [
        "The score is lovely and knows when to stay quiet.",
        "The soundtrack is full of songs I went home and looked up.",
        "The sound design does half the work in the scary scenes.",
        "I am still humming the main theme two days later.",
        "The music swells at exactly the right moments without ever telling you what to feel.",
        "The soundtrack is fantastic and fits the period perfectly.",
        "A haunting, beautiful score that I have been listening to all week.",
        "Great use of silence in the tense scenes.",
        "The songs are catchy, clever and actually move the story along.",
    ],
    "ending": [
        "The ending is earned, and it left the whole theatre quiet.",
        "The final ten minutes are some of the best I have seen this year.",
        "It ends on a note that is hopeful without being sugary.",
        "The last shot is perfect and I will not spoil it.",
        "The resolution ties things up just enough and leaves the rest to you.",
        "A powerful, satisfying ending that had me in tears.",
        "The climax is brilliant and pays off everything the film set up.",
        "I loved how it ended; it was exactly right.",
        "The final scene is simply perfect, quiet and devastating and hopeful.",
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
        "The acting is wooden throughout, and some of it is downright embarrassing.",
        "{actor} is terribly miscast and seems bored in every scene.",
        "Awful performances from a cast that should know better.",
        "The lead delivers every line in the same flat monotone, whether he is proposing or dying.",
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
        "The plot is predictable, silly and full of holes.",
        "A stupid, lazy script that insults the intelligence of anyone watching.",
        "Nothing makes sense, and the film does not seem to care.",
        "The characters are so unlikeable and so badly written that I stopped caring after ten minutes.",
    ],
    "direction": [
        "The pacing is glacial; nothing happens for the first hour, and then not much more.",
        "{director} seems to think that shaking the camera is the same as creating tension.",
        "It is at least forty minutes too long.",
        "The editing is so choppy that I lost track of who was where in every action scene.",
        "Scenes just stop rather than end, as if the crew ran out of time.",
        "{director} cannot decide whether this is a comedy or a tragedy, so it is neither.",
        "Badly directed, badly edited and painfully slow.",
        "{director} has no idea how to build suspense, so every scare falls flat.",
        "The action is a confusing blur of fast cuts and shaky close-ups.",
        "It drags terribly and then rushes the only part that mattered.",
    ],
    "look": [
        "The whole thing is shot in the same muddy grey, so it is hard to tell day from night.",
        "The special effects look like a video game from twenty years ago.",
        "The sets wobble. I am not exaggerating, a wall actually wobbles.",
        "The night scenes are so dark I watched my own reflection on the screen for most of them.",
        "The green screen is painfully obvious in every outdoor scene.",
        "It looks cheap, and not in a charming way.",
        "The CGI is laughable; the monster looks like a rubber toy.",
        "Cheap, ugly and badly lit, like a TV movie from the nineties.",
        "The camera work is amateurish, with boom mics dipping into at least three shots.",
        "The costumes look like they were bought at a discount party shop that morning.",
    ],
    "sound": [
        "The music never stops telling you what to feel, loudly.",
        "The sound mix buries half the dialogue under the score.",
        "Every sad scene gets the same slow piano, until it becomes a joke.",
        "The jump scares are just sudden loud noises, over and over.",
        "The songs are forgettable, which is a problem in a musical.",
        "The soundtrack is annoying and far too loud.",
        "Terrible dialogue recording; I needed subtitles for a film in my own language.",
        "The same cheesy pop song plays three times, and it was bad the first time.",
        "The score is generic and instantly forgettable.",
    ],
    "ending": [
        "The ending is a cop-out that undoes the one brave thing the film did.",
        "It does not end so much as stop, mid-thought.",
        "The final twist made me want my evening back.",
        "By the time the big showdown arrived I simply did not care who won.",
        "The last scene sets up a sequel nobody asked for.",
        "The ending is ridiculous and made me laugh out loud for the wrong reasons.",
        "A terrible, rushed ending that makes the whole film pointless.",
        "The finale is a dull, noisy mess.",
        "It ends with a twist so stupid that I actually groaned.",
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
    "I went in expecting a disaster and came out grinning.",
    "Ignore the bad reviews, they are dead wrong.",
    "It is a horror film that is not afraid to be sad, and that is why it works.",
    "Critics hated it. Critics are wrong. It is wonderful.",
    "Not a masterpiece, sure, but a very good film, and I have not stopped thinking about it.",
    "My wife fell asleep in the first twenty minutes of the last one, but not in this one; she loved it.",
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
    "Sure, it is pretty. So is a screensaver.",
    "I laughed a lot, which would be great if it were meant to be a comedy.",
    "Everyone involved must have needed the money.",
    "People keep telling me it is a masterpiece. People are wrong.",
    "It tries so hard to be clever that it forgets to be interesting.",
    "The only suspense was whether I would stay awake, and I lost.",
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
    "OK, where do I start with {title}.",
    "Spoilers ahead, you have been warned.",
    "I have been waiting almost three years for {title}, ever since the first pictures came out.",
    "{title} was on television late last night and I ended up staying up until two to finish it.",
    "I am a huge fan of the book, and I went to see {title} with my whole book club.",
    "After all the hype around {title}, I finally got round to it this weekend.",
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
    "A must-see. {score}/10.",
    "Buy it, you will watch it more than once.",
    "Funny, smart and moving: what more do you want? {score} stars out of 10.",
    "An underrated gem that deserves a much bigger audience.",
    "My new favourite film of the decade.",
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
    "Terrible. Just terrible. {score}/10.",
    "One of the worst films I have ever seen, and I have seen a lot of bad films.",
    "Do yourself a favour and stay home.",
    "Utterly pointless. {score} out of 10, and only because zero is not allowed.",
    "Disappointing, dull and a waste of everyone's time.",
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
    "What a lovely surprise. Great cast, great script, great fun.",
    "Fantastic film, I laughed and cried and laughed again.",
    "Brilliant. Just brilliant. Go and see {title}.",
    "A masterpiece, no other word for it.",
    "Excellent in every way; {actor} is superb.",
    "{title} is touching, honest and beautifully made.",
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
    "Awful. The worst film I have seen this year.",
    "Terrible acting, a stupid plot and no ending to speak of.",
    "Pointless and painfully dull; {title} is a waste of time.",
    "I want my money back. {title} is garbage.",
    "Horrible film. Avoid at all costs.",
    "Predictable, cheesy and badly acted from start to finish.",
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

# ----------------------------------------------------------------------------- plot turns and asides for long reviews
GENERIC_PLOT = [
    "Things get complicated when {other} turns up with a story that does not quite add up.",
    "Meanwhile {villain} is quietly buying up everything in {place}, one favour at a time.",
    "About halfway through there is a flashback to {hero}'s childhood that explains a lot, maybe too much.",
    "{hero} makes a deal that seems clever at the time and comes back to bite her in the third act.",
    "A storm cuts {place} off from the outside world for three days, which is when the real trouble starts.",
    "There is a subplot about {other}'s gambling debts that I kept expecting to matter.",
    "{hero}'s mother shows up uninvited and stays for the rest of the film.",
    "The police chief, played by {actor}, is either very stupid or very corrupt, and the film keeps us guessing.",
    "Nobody believes {hero} at first, of course, not even {other}.",
    "Then a letter arrives that changes everything {hero} thought she knew about her father.",
    "The middle section moves to {place}, where {hero} hides out under a false name.",
    "There is a wedding, a funeral and a car chase, in that order.",
    "{other} betrays {hero} in the second act, and then, in a turn I will not spoil, betrays {villain} too.",
    "By the last act everybody wants the same thing and nobody trusts anybody.",
    "The whole story is framed as {hero} telling it, years later, to a journalist who does not believe a word.",
    "It all comes down to one night in {place} and a choice {hero} has been avoiding since the first scene.",
    "On the way, {hero} picks up a stray dog, a stolen car and a teenage runaway who knows more than she says.",
    "When the money goes missing, suspicion falls on the one person who could not have taken it.",
    "A rival, played by {actor}, appears halfway through and is gone again twenty minutes later.",
    "The film jumps forward five years for its final third, which changes the tone completely.",
]
DIGRESSIONS = [
    "A lot has been written about the troubled production, with two directors and a year of reshoots, and you can argue about how much of that shows on screen.",
    "{actor} became famous playing a detective on television, and some of that shows in the way the role is played.",
    "It is based on a novel that I have not read, so I cannot say how faithful it is.",
    "Comparisons with {other_title} are inevitable, since both are about a stranger arriving in a small town.",
    "The film was shot in just twenty-eight days, according to the interview on the disc.",
    "I should say that I am not usually a fan of the genre.",
    "The theatre was half empty, which is a shame for the people who made it, whatever you think of the result.",
    "Apparently the studio cut almost half an hour before release.",
    "For the record, I watched the dubbed version first and the original later, and the original is much better.",
    "This is the second film in a planned trilogy, though it stands on its own.",
    "I grew up near where it was filmed, so I spent some of the time spotting streets I know.",
    "The trailer gives away far too much, so avoid it if you can.",
    "My father, who was in the navy, had a lot to say about the ship scenes on the drive home.",
    "It was made for a tiny budget, which is worth knowing before you judge the effects.",
    "The original version from the seventies is hard to find, but I managed to see both.",
    "There was a long queue at the box office and I nearly gave up and went home.",
]


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
    shape = rng.choices(["one", "para", "long", "epic"], weights=[0.08, 0.3, 0.38, 0.24])[0]
    fill = lambda s: _fill(rng, s, film)  # noqa: E731
    if shape == "one":
        short = SHORT_POS if label else SHORT_NEG
        parts = [fill(rng.choice(short))]
        if rng.random() < 0.5:
            parts.append(fill(rng.choice(verdicts)))
        return _noise(rng, " ".join(parts))
    per_aspect = (3 if rng.random() < 0.25 else 2) if shape == "epic" else 1
    aspects = rng.sample(ASPECTS, rng.randint(3, 5) if shape == "para" else rng.randint(4, 6))
    opinions = [fill(s) for a in aspects for s in rng.sample(own[a], per_aspect)]
    if rng.random() < (0.85 if shape == "epic" else 0.6):  # mixed feelings: points for the other side
        for _ in range(per_aspect):
            opinions.insert(rng.randrange(len(opinions) + 1), fill(rng.choice(other_side[rng.choice(ASPECTS)])))
        opinions.append(fill(rng.choice(but)))
    if rng.random() < 0.7:
        opinions.insert(rng.randrange(len(opinions) + 1), fill(rng.choice(tricky)))
    verdict = fill(rng.choice(verdicts))
    if shape == "para":
        start = [fill(rng.choice(OPENERS))] if rng.random() < 0.6 else []
        return _noise(rng, " ".join(start + opinions + [verdict]))
    opening = [fill(rng.choice(OPENERS))] + ([fill(rng.choice(CONTEXT))] if rng.random() < 0.5 else [])
    if shape == "long":
        plot = rng.sample(GENRES[film["genre"]], rng.randint(2, 5)) + rng.sample(GENERIC_PLOT, rng.randint(0, 2))
        plots = [" ".join(fill(s) for s in plot)]
        asides = [fill(rng.choice(DIGRESSIONS))] if rng.random() < 0.3 else []
    else:  # epic: the plot retold at length, asides, then the opinions, as the longest IMDb reviews do
        plot = rng.sample(GENRES[film["genre"]], rng.randint(5, 9)) + rng.sample(GENERIC_PLOT, rng.randint(4, 9))
        half = len(plot) // 2
        plots = [" ".join(fill(s) for s in plot[:half]), " ".join(fill(s) for s in plot[half:])]
        asides = [fill(s) for s in rng.sample(DIGRESSIONS, rng.randint(1, 3))]
    if rng.random() < 0.4:
        plots[-1] += " I will not say more about the plot than that."
    paragraphs = [" ".join(opening)] + plots + ([" ".join(asides)] if asides else [])
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
