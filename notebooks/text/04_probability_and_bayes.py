# %% [markdown]
# # 04 · Probability and Bayes, from dice to a sentiment classifier
#
# **You will sample and count, apply Bayes' rule to real reviews, build a naive Bayes sentiment classifier from the formula (the baseline that 07 measures BERT against), and see why cross-entropy is the loss BERT is trained with.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/04_probability_and_bayes.ipynb)
#
# **Time needed:** about 45 minutes to read and run; with the three exercises, about 75. The code runs in seconds on a 2-core laptop with the course's own reviews (the instructor guide lists the measured time); online, reading the real IMDb reviews takes longer, and the first run also downloads them.
# **Prerequisites:** [03 · Linear algebra](03_linear_algebra.ipynb) (matrix products, shapes). Fractions and logarithms.

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. sample random variables and explain the law of large numbers from a picture;
# 2. compute conditional probabilities from counts and apply Bayes' rule, checking it against direct counting;
# 3. write a naive Bayes classifier from the formula, and check it against scikit-learn's `MultinomialNB`;
# 4. turn scores into probabilities with softmax, and control it with a temperature;
# 5. compute entropy, cross-entropy and KL divergence, and say why minimizing cross-entropy is maximum likelihood (and MSE its Gaussian case).

# %% [markdown]
# ## Setup

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from course_utils import check, load_reviews

reviews = load_reviews("stanfordnlp/imdb")   # real IMDb online; the course's own reviews offline
train, test = reviews["train"], reviews["test"]
print(f"{len(train)} training and {len(test)} test reviews; labels: {train.features['label'].names}")

# %% [markdown]
# ## Random variables, variance and the law of large numbers
#
# A **random variable** is a number produced by chance: the face of a die, the label of a review picked at random. Its **expected value** is the average of its possible values, each weighted by its probability: $E[X] = \sum_x x \, P(X = x)$; for a fair die, $E[X] = 1 \cdot \frac16 + 2 \cdot \frac16 + \dots + 6 \cdot \frac16 = 3.5$. It is a property of the distribution, not of any draws. Its **variance** is the expected squared distance from that value, $\operatorname{Var}[X] = E[(X - E[X])^2]$, and its **standard deviation** $\sigma = \sqrt{\operatorname{Var}[X]}$ is that spread in the units of $X$ itself. For a die, $\operatorname{Var}[X] = \frac{(1-3.5)^2 + \dots + (6-3.5)^2}{6} = \frac{35}{12}$, so $\sigma \approx 1.71$. By formula, and, for comparison, from 100,000 simulated rolls:

# %%
faces = torch.arange(1, 7, dtype=torch.float64)
probability = torch.full((6,), 1 / 6, dtype=torch.float64)       # P(X = x) for each face
mean = (faces * probability).sum()                              # E[X] = Σ x P(X = x)
variance = ((faces - mean) ** 2 * probability).sum()            # Var[X] = Σ (x - E[X])² P(X = x)
rolls = torch.randint(1, 7, (100_000,), generator=torch.Generator().manual_seed(0)).double()
print(f"by formula:   E[X] = {mean:.3f}, Var[X] = {variance:.4f} (35/12 = {35 / 12:.4f}), σ = {variance.sqrt():.3f}")
print(f"by sampling:  mean {rolls.mean():.3f}, variance {rolls.var(unbiased=False):.4f}, σ = {rolls.std(unbiased=False):.3f}")
assert abs(rolls.mean() - 3.5) < 0.02 and abs(rolls.var(unbiased=False) - 35 / 12) < 0.05

# %% [markdown]
# The **law of large numbers** says the running average of $n$ independent draws (each roll unaffected by the others) approaches $E[X]$. How fast? The average of $n$ draws has standard deviation exactly $\sigma / \sqrt{n}$, for every $n$. How often it lands within $2\sigma/\sqrt{n}$ of $E[X]$ takes one more theorem: the **central limit theorem** says that for large $n$ the average is close to normally distributed, and a normal value lies within two standard deviations of its mean about 95% of the time. For small $n$ that is not so: at $n = 1$ the band $3.5 \pm 3.4$ holds every face, 100% of the time. Counted over 20,000 simulated averages for each $n$:

# %%
generator = torch.Generator().manual_seed(0)
sigma = math.sqrt(35 / 12)
coverage = {}
for n in (1, 2, 10, 100, 1000):
    averages = torch.randint(1, 7, (20_000, n), generator=generator).double().mean(dim=1)
    coverage[n] = ((averages - 3.5).abs() <= 2 * sigma / math.sqrt(n)).double().mean().item()
print("share of averages within 3.5 ± 2σ/√n:", ", ".join(f"n = {n}: {share:.1%}" for n, share in coverage.items()))
assert coverage[1] == 1.0 and all(0.93 < coverage[n] < 0.97 for n in (100, 1000))   # exact at n = 1; the CLT's 95% at large n

# %% [markdown]
# The grey band below is $3.5 \pm 2\sigma/\sqrt{n}$. Five runs of 2,000 rolls each:

# %%
generator = torch.Generator().manual_seed(0)
n = 2000
steps = torch.arange(1, n + 1)
band = 2 * math.sqrt(35 / 12) / steps.sqrt()                # 2σ/√n, σ of one roll = √(35/12)
fig, ax = plt.subplots(figsize=(7, 3.6))
outside = []
for run in range(5):
    rolls = torch.randint(1, 7, (n,), generator=generator).float()
    average = rolls.cumsum(0) / steps
    ax.plot(steps, average, lw=1.2, label=f"run {run + 1}")
    outside.append(((average - 3.5).abs() > band)[99:].double().mean().item())   # share of n >= 100 outside
ax.fill_between(steps, 3.5 - band, 3.5 + band, alpha=0.15, color="gray", label="3.5 ± 2σ/√n")
ax.axhline(3.5, color="black", lw=1)
ax.set(xscale="log", ylim=(1.5, 5.5), xlabel="number of rolls n (log scale)", ylabel="running average",
       title="The average of n die rolls approaches 3.5")
ax.legend(loc="upper right", fontsize=8, ncol=2)
plt.show()
print("share of n from 100 to 2,000 where the run is outside the band:", ", ".join(f"run {i + 1}: {s:.0%}" for i, s in enumerate(outside)))

# %% [markdown]
# The band is not a wall: it holds about 95% of averages *at each n*, so a run may leave it for a while (the consecutive averages of one run are not independent: once a run is high, it stays high for a stretch). What shrinks like $1/\sqrt{n}$ is the typical distance from 3.5: to halve it, roll four times as often.

# %% [markdown]
# ## Conditional probability, from counts
#
# $P(A \mid B)$, "the probability of $A$ given $B$", is the share of $A$ among the cases where $B$ holds: $P(A \mid B) = P(A \cap B) / P(B)$. With data, that is counting. What share of training reviews is positive, and what share of those containing the word *best*?

# %%
import re

labels = np.array(train["label"])
words_of = [set(re.findall(r"[a-z']+", text.lower())) for text in train["text"]]


def share_positive(word=None):
    chosen = labels if word is None else labels[[word in words for words in words_of]]
    return chosen.mean(), len(chosen)


for word in (None, "best", "boring"):
    p, count = share_positive(word)
    print(f"P(pos | {'any review' if word is None else 'contains ' + repr(word)}) = {p:.2f}   ({count} reviews)")


def direction(word):   # which way the word moves P(pos), and whether by more than two standard errors √(p(1-p)/n)
    p, count = share_positive(word)
    margin = 2 * math.sqrt(p * (1 - p) / count)
    base = share_positive()[0]
    verdict = "raises" if p - margin > base else "lowers" if p + margin < base else "does not clearly move"
    return verdict, f"{word!r} {verdict} the chance: {p:.2f} ± {margin:.2f} (two standard errors, {count} reviews) against {base:.2f}"


for word in ("best", "boring"):
    print(direction(word)[1])
assert direction("best")[0] == "raises"        # the claim below: "best" raises the chance, by more than its uncertainty


# %% [markdown]
# *Best* raises the chance of a positive review, as you would guess, and by more than the uncertainty of a count: a share $p$ from $n$ reviews is uncertain by about $\sqrt{p(1-p)/n}$ (its **standard error**), and the true share lies within two standard errors of it about 95% of the time (the central limit theorem again). Two events are **independent** when knowing one does not change the chance of the other: $P(A \mid B) = P(A)$, or equivalently $P(A \cap B) = P(A)\,P(B)$. So "the review is positive" and "it contains *best*" are not independent here. For *boring*, the cell prints which way it moves the chance and whether the move is larger than its two standard errors; the fewer reviews contain a word, the wider that margin. But a word's evidence is an average over all the ways reviewers use it. A positive review that says the film is *not* boring (searched for on purpose), and the first sentence with *boring* in a negative one:

# %%
def first_sentence_with(pattern, label):
    for text, review_label in zip(train["text"], train["label"]):
        if review_label == label:
            for sentence in re.split(r"(?<=[.!?])\s+|<br />", text):
                if re.search(pattern, sentence.lower()):
                    return sentence.strip()
    return "(none)"


negated_boring = r"(\bnot|\bnever|\bhardly|n't)\s+(\w+\s+)?boring\b"     # "not boring", "never boring", "isn't a boring ..."
examples = {1: first_sentence_with(negated_boring, 1), 0: first_sentence_with(r"\bboring\b", 0)}
for label, sentence in examples.items():
    print(train.features["label"].names[label], "|", sentence)
assert "(none)" not in examples.values()        # the claim below: the word serves both sides

# %% [markdown]
# The same word serves both sides (the two sentences above): praise can say a film is *not* boring, and a complaint can say it is (a positive review may also call one part of a film boring and forgive it). Counting words ignores the words around them; keep that in mind for the classifier below, and for why BERT, which reads words in context (notebook 06), does better.
#
# ## Bayes' rule
#
# Bayes' rule turns one conditional probability around:
#
# $$P(\text{pos} \mid w) = \frac{P(w \mid \text{pos})\, P(\text{pos})}{P(w)}, \qquad P(w) = P(w \mid \text{pos}) P(\text{pos}) + P(w \mid \text{neg}) P(\text{neg}).$$
#
# Here $w$ is the event "the review contains *best*", so $P(w \mid \text{pos})$ is the share of positive reviews that contain it. The **prior** $P(\text{pos})$ is what we believe before reading; the **likelihoods** $P(w \mid \cdot)$ say how typical the word is of each class; the **posterior** $P(\text{pos} \mid w)$ is what we believe after. Computed this way for *best*, it must equal the direct count above:

# %%
has_best = np.array(["best" in words for words in words_of])
prior_pos = labels.mean()
likelihood_pos = has_best[labels == 1].mean()      # P(best | pos)
likelihood_neg = has_best[labels == 0].mean()      # P(best | neg)
evidence = likelihood_pos * prior_pos + likelihood_neg * (1 - prior_pos)
posterior = likelihood_pos * prior_pos / evidence

print(f"P(best | pos) = {likelihood_pos:.3f}, P(best | neg) = {likelihood_neg:.3f}")
print(f"Bayes: P(pos | best) = {posterior:.4f};  direct count: {share_positive('best')[0]:.4f}")
assert math.isclose(posterior, share_positive("best")[0])

# %% [markdown]
# The prior matters. Our reviews are half positive; on a site where only 10% of reviews are positive, the same word is exactly as strong evidence, if reviewers there use it as ours do (it multiplies the odds of *positive* by the same factor, the likelihood ratio $P(w \mid \text{pos}) / P(w \mid \text{neg})$, whatever the prior), but it starts from much lower odds, so the posterior it leads to is much lower: posterior odds = prior odds × likelihood ratio. Move the prior (in a static copy, such as this page on GitHub, two priors are drawn instead of a slider):

# %%
import ipywidgets

from course_utils.widgets import explore

priors = np.linspace(0.001, 0.999, 200)


def draw_posterior(prior=0.5):
    curve = likelihood_pos * priors / (likelihood_pos * priors + likelihood_neg * (1 - priors))
    here = likelihood_pos * prior / (likelihood_pos * prior + likelihood_neg * (1 - prior))
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(priors, curve, label="posterior P(pos | best)")
    ax.plot(priors, priors, "--", color="gray", lw=1, label="no evidence: posterior = prior")
    ax.plot([prior], [here], "o", color="black")
    ax.set(xlabel="prior P(pos)", ylabel="posterior", title=f"prior {prior:.2f} → posterior {here:.2f}")
    ax.legend(loc="lower right", fontsize=9)
    plt.show()


explore(draw_posterior, {"prior": ipywidgets.FloatSlider(value=0.5, min=0.01, max=0.99, step=0.01)},
        static=[{"prior": 0.1}, {"prior": 0.5}])

# %% [markdown]
# ## A naive Bayes sentiment classifier, from the formula
#
# Now use *every* word. **Multinomial naive Bayes** pictures a review of class $c$ with $L$ words as $L$ draws from one word distribution per class, like $L$ rolls of a die with one face per word: $\theta_{cj}$ is the probability that one draw from class $c$ is word $j$. The **naive assumption** is that, given the class (and the review's length), each word is drawn independently of the others: the words already written do not change the chance of the next one. That is a **conditional independence**: two events $A$ and $B$ are conditionally independent given $C$ when $P(A \cap B \mid C) = P(A \mid C)\,P(B \mid C)$, here with events such as $A$ = "the 5th word is *chase*" and $B$ = "the 9th word is *chase*", given the class (tested below).
#
# This is a different model from the one above, and $\theta_{c,\text{best}}$ is a different number from $P(\text{best} \mid \text{pos})$: the latter is a share of *reviews* (does the review contain the word at all?), $\theta$ a share of *words* (a review can use *best* three times). Counting words is the job of scikit-learn's `CountVectorizer`. By default it takes a word to be a run of two or more letters or digits, so *couldn't* is counted as *couldn* (the lone *t* is dropped), and one-letter words such as *a* are not counted:

# %%
from sklearn.feature_extraction.text import CountVectorizer

vectorizer = CountVectorizer()
X_train = vectorizer.fit_transform(train["text"])     # (reviews, vocabulary) counts, a sparse matrix
X_test = vectorizer.transform(test["text"])
y_train, y_test = labels, np.array(test["label"])
print("vocabulary:", X_train.shape[1], "words;  training matrix:", X_train.shape)
print("how 'couldn't' is counted:", vectorizer.build_analyzer()("I couldn't look away"))

# %% [markdown]
# Estimating $\theta$ is counting too, with one correction:
#
# $$\theta_{cj} = \frac{N_{cj} + \alpha}{\sum_k N_{ck} + \alpha V},$$
#
# where $N_{cj}$ counts word $j$ in all training reviews of class $c$ and $V$ is the size of the vocabulary. Adding $\alpha = 1$ to every count (**Laplace smoothing**) keeps a word never seen in one class from getting probability 0 there, which would rule that class out for any review containing it:

# %%
alpha = 1.0
log_prior = np.log(np.bincount(y_train) / len(y_train))                     # (2,)
word_counts = np.vstack([np.asarray(X_train[y_train == c].sum(axis=0)).ravel() for c in (0, 1)])  # (2, V)
log_theta = np.log((word_counts + alpha) / (word_counts + alpha).sum(axis=1, keepdims=True))

best_column = vectorizer.vocabulary_["best"]
print(f"θ(pos, best) = {np.exp(log_theta[1, best_column]):.4f}, a share of words; "
      f"P(best | pos) = {likelihood_pos:.3f}, a share of reviews")

# %% [markdown]
# To classify a review with word counts $x_1, \dots, x_V$, Bayes' rule and the naive assumption give
#
# $$\log P(c \mid x) = \log P(c) + \sum_{j=1}^{V} x_j \log \theta_{cj} + \text{const}.$$
#
# The constant is the same for both classes: $-\log P(x)$, plus the log of the multinomial coefficient (the number of orders the same words could come in) and the log of the probability of the review's length, which the model takes to be the same for both classes; the sum leaves them out. Predict the class with the larger score. The sum over words is one matrix product:

# %%
scores = X_test @ log_theta.T + log_prior                                      # (test reviews, 2)
predictions = scores.argmax(axis=1)
nb_accuracy = (predictions == y_test).mean()
print(f"our naive Bayes: test accuracy {nb_accuracy:.3f}")

# %%
from sklearn.naive_bayes import MultinomialNB

reference = MultinomialNB(alpha=alpha).fit(X_train, y_train)
print("same word probabilities as MultinomialNB:", np.allclose(log_theta, reference.feature_log_prob_))
assert np.allclose(log_theta, reference.feature_log_prob_)
print("same predictions on every test review:   ", (reference.predict(X_test) == predictions).all())
assert (reference.predict(X_test) == predictions).all()

# %% [markdown]
# ### The naive assumption, tested
#
# If each word is drawn on its own, a word that has already appeared in a review is no more likely to appear again than any draw is. Real writing is not like that: a review about a car chase says *chase* again and again. Test it with 30 common words (each in 10-50% of the training reviews): among the reviews of one class that contain a word, what share contain it at least twice? Then ask the model the same question: draw every training review again from its class's fitted $\theta$, at its own length, and count the same way. If the assumption held, the two shares would agree up to sampling noise:

# %%
share = np.asarray((X_train > 0).mean(axis=0)).ravel()            # share of training reviews containing each word
common = [j for j in np.argsort(-share, kind="stable") if 0.1 <= share[j] <= 0.5][:30]
review_length = np.asarray(X_train.sum(axis=1)).ravel()          # words per review, as CountVectorizer counts them
sampler = np.random.default_rng(0)


def again(counts):   # among (review, word) pairs where the word appears, the share where it appears at least twice
    return (counts >= 2).sum() / (counts >= 1).sum()


for c in (0, 1):
    in_class = y_train == c
    real = X_train[in_class][:, common].toarray()
    theta_common = np.exp(log_theta[c, common])
    # the model: each review's words drawn independently from θ_c at its own length (the 30 words, or "any other word")
    sampled = sampler.multinomial(review_length[in_class], np.append(theta_common, 1 - theta_common.sum()))[:, :-1]
    noise = math.sqrt(again(sampled) * (1 - again(sampled)) / (sampled >= 1).sum())      # the model share's standard error
    per_word = [again(real[:, k]) > again(sampled[:, k]) for k in range(len(common)) if (sampled[:, k] >= 1).any()]
    print(f"{train.features['label'].names[c]}: a word that appears, appears again in {again(real):.2f} of real reviews, "
          f"in {again(sampled):.2f} of the model's (± {noise:.3f}); more often in real reviews for {np.mean(per_word):.0%} of the 30 words")
    assert again(real) > again(sampled) + 3 * noise and np.mean(per_word) > 0.5   # the claim below: real reviews are burstier

# %% [markdown]
# A word that has appeared once comes back more often in real reviews than the model allows (printed above, for each class, by more than three times the noise of the model's share): words are **bursty**, and the naive assumption is false, measurably. This is a well-known failure of naive Bayes for text (Rennie et al., 2003, *Tackling the poor assumptions of naive Bayes text classifiers*). Note what is *not* evidence against it: that two words tend to appear together in long reviews. The model draws more of every word in a longer review too, so it predicts that itself; only a comparison at the same lengths, as here, tests the assumption. Naive Bayes still ranks reviews usefully, but it counts each repetition of a word as fresh evidence, which makes its probabilities too sure of themselves (below).

# %% [markdown]
# Naive Bayes is **the baseline** for the rest of the course: notebook 07 trains it again on its own training reviews, with the smoothing `alpha` chosen on validation reviews, and measures its fine-tuned BERT against that number (07 prints it; it differs from the one above). (On the real IMDb, [Wang and Manning, 2012](https://aclanthology.org/P12-2018/), report 83.6% for multinomial naive Bayes on single words, and 86.6% with bigrams (adjacent word pairs) added. Their features are not counts: each word counts once per review, however often it appears, which they found works better, as the burstiness measured above suggests: a repeated word is weaker evidence than the model thinks. *Try it:* `CountVectorizer(binary=True)` makes such features: does the test accuracy change?)
#
# ### Bayes' rule, read off a confusion matrix
#
# A classifier's **confusion matrix** counts test reviews by true and predicted label. Two numbers from it are conditional probabilities pointing in opposite directions: **recall** $P(\text{predicted pos} \mid \text{pos})$, the share of positive reviews found, and **precision** $P(\text{pos} \mid \text{predicted pos})$, the share of "positive" verdicts that are right. Bayes' rule turns one into the other, with the prior $P(\text{pos})$ and the false-positive rate $P(\text{predicted pos} \mid \text{neg})$:

# %%
from sklearn.metrics import confusion_matrix, precision_score, recall_score

(tn, fp), (fn, tp) = confusion_matrix(y_test, predictions)
print(f"confusion matrix: {tn} true negatives, {fp} false positives, {fn} false negatives, {tp} true positives")
recall = tp / (tp + fn)                       # P(predicted pos | pos)
false_positive_rate = fp / (fp + tn)          # P(predicted pos | neg)
prior = (tp + fn) / len(y_test)               # P(pos) among the test reviews
precision = recall * prior / (recall * prior + false_positive_rate * (1 - prior))
print(f"recall {recall:.3f}; precision by Bayes' rule {precision:.4f}, by scikit-learn {precision_score(y_test, predictions):.4f}")
assert math.isclose(precision, precision_score(y_test, predictions)) and math.isclose(recall, recall_score(y_test, predictions))
order = "equals" if fp == fn else ("is below" if fp > fn else "is above")
print(f"precision {order} recall: {fp} false positives against {fn} false negatives")
assert math.isclose(precision, recall) == (fp == fn)            # tp/(tp + fp) vs tp/(tp + fn): equal exactly when fp = fn
rare = recall * 0.1 / (recall * 0.1 + false_positive_rate * 0.9)
print(f"the same recall and false-positive rate where 10% of reviews are positive: precision {rare:.3f}")
assert rare < precision

# %% [markdown]
# Precision and recall share their numerator, the true positives: precision divides by everything predicted positive ($tp + fp$), recall by everything truly positive ($tp + fn$). So they are equal exactly when the false positives equal the false negatives, and the more frequent kind of mistake decides which is lower (printed above); a balanced test set does not make them equal. The prior, on the other hand, moves precision and not recall: where positive reviews are rare, the same recall and false-positive rate give a much lower precision (printed for 10%), exactly as the prior slider above showed.
#
# The words that weigh most for each class:

# %%
from course_utils.reviews import is_course_copy

vocabulary = vectorizer.get_feature_names_out()
log_odds = log_theta[1] - log_theta[0]            # > 0: evidence for pos
frequent = np.asarray(X_train.sum(axis=0)).ravel() >= 20
# Rounded, and ties broken alphabetically, so every machine prints the same list.
score = np.round(np.where(frequent, log_odds, 0.0), 6)
most_negative = sorted(range(len(vocabulary)), key=lambda i: (score[i], vocabulary[i]))[:8]
most_positive = sorted(range(len(vocabulary)), key=lambda i: (-score[i], vocabulary[i]))[:8]
print("most negative:", ", ".join(vocabulary[most_negative]))
print("most positive:", ", ".join(vocabulary[most_positive]))
praise = ["amazing", "beautiful", "best", "brilliant", "excellent", "fantastic", "good", "great", "handsome", "nice",
          "perfect", "superb", "wonderful"]                # a fixed list of praise words
against = [word for word in praise if word in vectorizer.vocabulary_ and frequent[vectorizer.vocabulary_[word]]
           and log_odds[vectorizer.vocabulary_[word]] < 0]
print(f"of {len(praise)} praise words, those that weigh for the negative side here:", ", ".join(against) or "none")
if is_course_copy(reviews):   # the course's reviews record which film each one is about (real IMDb does not)
    from course_utils.reviews import read_rows

    film_of = {row["text"]: row["film"] for row in read_rows()}
    words_in = [set(vectorizer.build_analyzer()(text)) for text in train["text"]]
    strongest = list(vocabulary[most_negative]) + list(vocabulary[most_positive])
    films_with = {word: len({film_of[text] for text, words in zip(train["text"], words_in) if word in words}) for word in strongest}
    film_bound = [word for word in strongest if films_with[word] <= 2]
    print("of these, found in the training reviews of only one or two films:", ", ".join(film_bound))
    assert film_bound                     # the claim below: some of the strongest words belong to one or two films


# %% [markdown]
# Some of these may surprise you. A word-counting model learns whatever separates the classes in its training data. A praise word can even weigh for the negative side, when reviewers use it in concessions or sarcasm (made-up examples: "handsome, well acted and hollow"; "great, a two-hour trailer"); the cell lists any of a dozen common praise words that do so in these reviews. A stump such as *couldn* in a list is *couldn't* as `CountVectorizer` cuts it (see above). And names and plot words are accidents of which films the training reviews are about: a film whose reviews lean one way lends its characters and its plot to that side, and they say nothing about the next film. The course's own reviews record their film, so the cell above names the strongest words that only one or two films' reviews contain; real IMDb does not record it, so online the cell prints the two lists alone, and they differ, but the lesson does not. That is why a model is judged on reviews it has never seen: the test split here, and for 07's model also real IMDb reviews, which an online run reads (the course's maintainers measure the offline-trained model on them too).

# %% [markdown]
# ## Softmax: scores into probabilities
#
# A classifier's raw scores (**logits**) can be any real numbers. **Softmax** turns a vector of scores $z$ into probabilities that are positive and sum to 1:
#
# $$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}.$$
#
# Our naive Bayes scores are $\log P(c) + \log P(x \mid c)$ up to a constant shared by both classes (the multinomial coefficient and the length's probability, which the sum leaves out), and a shared constant cancels in the softmax: its denominator is the evidence $P(x)$ up to that same factor, so the softmax *is* Bayes' posterior. BERT's classifier in 07 ends the same way: two logits, then softmax. Written by hand (subtracting the maximum first, which changes nothing mathematically but keeps `exp` from overflowing), then checked:

# %%
def softmax(z):
    z = z - z.max(dim=-1, keepdim=True).values
    return z.exp() / z.exp().sum(dim=-1, keepdim=True)


nb_logits = torch.tensor(scores[:3], dtype=torch.float64)
print("P(pos | review) for three test reviews:", [round(p, 4) for p in softmax(nb_logits)[:, 1].tolist()])
print("matches MultinomialNB.predict_proba:", np.allclose(softmax(nb_logits).numpy(), reference.predict_proba(X_test[:3])))
assert np.allclose(softmax(nb_logits).numpy(), reference.predict_proba(X_test[:3]))
posteriors = softmax(torch.tensor(scores, dtype=torch.float64))[:, 1].numpy()
certain = (posteriors < 0.01) | (posteriors > 0.99)
wrong = (posteriors > 0.5) != y_test
print(f"test reviews with a posterior below 0.01 or above 0.99: {certain.mean():.0%}; wrong among them: {wrong[certain].mean():.0%} "
      "(a calibrated model: at most 1%)")
assert certain.mean() > 0.5 and wrong[certain].mean() > 0.01   # the claim below: very sure of most, and wrong more often than that allows

big = torch.tensor([1000.0, 999.0])
print("naive exp overflows:", (big.exp() / big.exp().sum()).tolist(), "| stable:", [round(p, 4) for p in softmax(big).tolist()],
      "| F.softmax:", [round(p, 4) for p in F.softmax(big, dim=0).tolist()])

# %% [markdown]
# Notice how sure naive Bayes is: it gives most test reviews a posterior below 0.01 or above 0.99, and more of those near-certainties are wrong than the 1% a **calibrated** model would allow (one whose "99% sure" is right 99% of the time; printed above). It counts every word, and every repetition of a word, as independent evidence, although words in a review are not drawn independently (a word that has appeared tends to come back, measured above), so it is famously **overconfident**. Its ranking is useful; its probabilities are not to be trusted. Notebook 08 measures this for BERT with a calibration diagram.
#
# ### Temperature
#
# Dividing the logits by a **temperature** $T$ before softmax sharpens ($T < 1$) or flattens ($T > 1$) the distribution without changing which class is most likely. Language models sample with it, and *temperature scaling*, the calibration repair notebook 08 describes, fits one $T$ on validation data. Here, five logits as a 1-5 star rating model might give them:

# %%
star_logits = torch.tensor([0.5, 1.0, 2.0, 3.5, 3.0])


def draw_temperature(temperature=1.0):
    probabilities = softmax(star_logits / temperature)
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ax.bar(range(1, 6), probabilities, color="#3366aa")
    ax.set(ylim=(0, 1), xlabel="stars", ylabel="probability", title=f"T = {temperature:g}")
    plt.show()


explore(draw_temperature, {"temperature": ipywidgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05)},
        static=[{"temperature": 0.3}, {"temperature": 1.0}, {"temperature": 5.0}])


# %% [markdown]
# ## Entropy, cross-entropy and KL divergence
#
# - **Entropy** $H(p) = -\sum_i p_i \log p_i$: how uncertain a distribution is (0 for a sure thing, $\log n$ for uniform over $n$). A term with $p_i = 0$ counts as 0 (the limit of $p \log p$ as $p \to 0$); `torch.special.xlogy(p, p)` computes $p \log p$ with that convention, where `p * p.log()` would give $0 \cdot (-\infty)$ = `nan`.
# - **Cross-entropy** $H(p, q) = -\sum_i p_i \log q_i$: the average surprise when the truth is $p$ and you predicted $q$.
# - **KL divergence** $D_{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i} = H(p, q) - H(p) \ge 0$: the extra surprise for predicting $q$ instead of $p$; zero only when $q = p$. It is **not symmetric**: $D_{KL}(p \,\|\, q)$ averages over $p$, so it punishes a $q$ that puts little probability where $p$ puts much, while $D_{KL}(q \,\|\, p)$ punishes the reverse. It is not a distance, and which way round you write it matters.
#
# Our own versions, checked against PyTorch (natural logarithms, so the unit is the *nat*):

# %%
def entropy(p):
    return -torch.special.xlogy(p, p).sum()          # xlogy(0, 0) = 0: an impossible outcome adds no uncertainty


def cross_entropy_soft(p, q):
    return -(p * q.log()).sum()


p = softmax(star_logits)                      # "truth"
q = softmax(star_logits / 3)                  # a flatter prediction
kl = (p * (p / q).log()).sum()
print(f"H(p) = {entropy(p):.4f}, H(p, q) = {cross_entropy_soft(p, q):.4f}, KL(p||q) = {kl:.4f}")
sure, uniform = torch.tensor([1.0, 0.0, 0.0]), torch.full((5,), 0.2)
print(f"H(a sure thing) is 0: {entropy(sure).item() == 0}; H(uniform over 5) = {entropy(uniform):.4f} = log 5 = {math.log(5):.4f}")
assert entropy(sure).item() == 0 and torch.isclose(entropy(uniform), torch.tensor(math.log(5)))
print("H(p, q) = H(p) + KL:", torch.isclose(cross_entropy_soft(p, q), entropy(p) + kl).item())
assert torch.isclose(cross_entropy_soft(p, q), entropy(p) + kl)
# F.kl_div(input, target) takes the prediction's log first and the truth second: F.kl_div(q.log(), p) is KL(p || q)
print("KL matches F.kl_div:", torch.isclose(kl, F.kl_div(q.log(), p, reduction="sum")).item())
assert torch.isclose(kl, F.kl_div(q.log(), p, reduction="sum"))
kl_reverse = (q * (q / p).log()).sum()
print(f"KL(q||p) = {kl_reverse:.4f}: not KL(p||q) = {kl:.4f}")
assert not torch.isclose(kl, kl_reverse, rtol=0.05)
print("cross-entropy matches F.cross_entropy (soft targets):",
      torch.isclose(cross_entropy_soft(p, q), F.cross_entropy((star_logits / 3)[None], p[None])).item())

# %% [markdown]
# For classification the truth is one class, so $p$ is 1 for the right class and 0 elsewhere: cross-entropy is just $-\log q_{\text{right class}}$, averaged over examples. That is `F.cross_entropy(logits, targets)`, the loss the Trainer uses for BERT in 07:

# %%
logits = torch.tensor([[2.0, -1.0], [0.3, 0.2], [-1.5, 2.5]])
targets = torch.tensor([0, 1, 1])
by_hand = -F.log_softmax(logits, dim=1)[torch.arange(3), targets].mean()
print(f"by hand {by_hand:.4f} | F.cross_entropy {F.cross_entropy(logits, targets):.4f}")

# %% [markdown]
# ### Minimizing cross-entropy is maximum likelihood
#
# Suppose a model says each review is positive with probability $q$. The **likelihood** of the labels we saw, $k$ positives among $n$, is $\prod_i q^{y_i} (1-q)^{1-y_i} = q^k (1-q)^{n-k}$; its negative logarithm, divided by $n$, is exactly the average cross-entropy. So the $q$ that minimizes cross-entropy is the $q$ that makes the data most likely: the **maximum likelihood** estimate. Calculus finds it: the log-likelihood $k \log q + (n - k) \log(1 - q)$ is highest where its slope is zero (for $0 < k < n$; exercise 2 derives the slope, sets it to zero and says why that point is the maximum). Here numerically, for 10 reviews with 7 positive:

# %%
y = torch.tensor([1, 1, 1, 0, 1, 1, 0, 1, 0, 1], dtype=torch.float64)
qs = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)
average_nll = torch.stack([F.binary_cross_entropy(torch.full_like(y, q), y) for q in qs])
best = qs[average_nll.argmin()].item()
print(f"the grid's best q: {best:.2f}; the share of positives k/n: {y.mean().item():.2f}")
assert math.isclose(best, y.mean().item())

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(qs, average_nll)
ax.axvline(best, color="gray", ls="--")
ax.set(xlabel="model's P(pos) = q", ylabel="average cross-entropy", title=f"minimum at q = {best:.2f} = 7/10")
plt.show()

# %% [markdown]
# ### MSE is the Gaussian case
#
# For a number to predict (a star rating, a price), assume the truth is the prediction plus Gaussian noise: $y \sim \mathcal{N}(\hat y, \sigma^2)$. The negative log-likelihood of one example is
#
# $$-\log p(y) = \frac{(y - \hat y)^2}{2\sigma^2} + \log(\sigma\sqrt{2\pi}),$$
#
# so with $\sigma$ fixed, maximizing the likelihood is minimizing the **mean squared error**. Checked with `torch.distributions`:

# %%
generator = torch.Generator().manual_seed(1)
y_true = torch.randn(100, generator=generator, dtype=torch.float64)
y_pred = y_true + 0.3 * torch.randn(100, generator=generator, dtype=torch.float64)
sigma = 1.0
nll = -torch.distributions.Normal(y_pred, sigma).log_prob(y_true).mean()
from_mse = F.mse_loss(y_pred, y_true) / (2 * sigma**2) + math.log(sigma * math.sqrt(2 * math.pi))
print(f"Gaussian NLL {nll:.6f} = MSE/2σ² + const {from_mse:.6f}: {torch.isclose(nll, from_mse).item()}")
assert torch.isclose(nll, from_mse)


# %% [markdown]
# ## Exercises
#
# ### Exercise 1: a posterior
#
# A spoiler filter flags 90% of reviews that contain spoilers and, wrongly, 5% of reviews that do not. 2% of reviews contain spoilers. Write `posterior(prior, p_flag_if_spoiler, p_flag_if_clean)` returning P(spoiler | flagged), then call `posterior(0.02, 0.90, 0.05)` (guess first: above or below 50%?).

# %%
def posterior(prior, p_flag_if_spoiler, p_flag_if_clean):
    # Your code here: replace this line.
    return p_flag_if_spoiler


check("04.posterior", posterior)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def posterior(prior, p_flag_if_spoiler, p_flag_if_clean):
#     evidence = p_flag_if_spoiler * prior + p_flag_if_clean * (1 - prior)
#     return p_flag_if_spoiler * prior / evidence
# ```
# </details>
#
# `posterior(0.02, 0.90, 0.05)` is about 0.27: most flagged reviews are clean, because clean reviews are so much more common. A small false-alarm rate on a large group produces more flags than a high hit rate on a small one: 5% of the 98% clean reviews is 4.9% of all reviews flagged wrongly, against 90% of the 2% with spoilers, 1.8% flagged rightly, and 1.8 / (1.8 + 4.9) ≈ 0.27.

# %% [markdown]
# ### Exercise 2: the slope of a likelihood
#
# Write `slope(q, k, n)`: the derivative with respect to $q$ of the log-likelihood $k \log q + (n - k) \log(1 - q)$ of $k$ positives among $n$ reviews. Derive it on paper first; the checker compares it with autograd. Then set your formula to zero and solve for $q$: what do you get?

# %%
def slope(q, k, n):
    # Your code here: replace this line.
    return 0.0


check("04.mle", slope)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def slope(q, k, n):
#     return k / q - (n - k) / (1 - q)
# ```
#
# Setting it to zero: $k/q = (n-k)/(1-q)$, so $k(1-q) = (n-k)q$, so $k = nq$: $q = k/n$, the share of positives. The cross-entropy minimum in the plot above is no accident. That zero is the maximum because, for $0 < k < n$, the slope's own derivative $-k/q^2 - (n-k)/(1-q)^2$ is negative everywhere: the log-likelihood is concave, with one peak. For $k = 0$ or $k = n$ the slope never reaches zero inside $(0, 1)$ and the maximum sits at the edge, $q = 0$ or $q = 1$: again $k/n$.
# </details>

# %% [markdown]
# ### Exercise 3: cross-entropy from logits
#
# Write `my_cross_entropy(logits, targets)`: the average of $-\log \operatorname{softmax}(\text{logits})_{\text{target}}$ over a batch, for logits of shape `(batch, classes)` and integer targets of shape `(batch,)`. Use `torch.logsumexp` for stability: $\log \operatorname{softmax}(z)_i = z_i - \log \sum_j e^{z_j}$.

# %%
def my_cross_entropy(logits, targets):
    # Your code here: replace this line.
    return logits.mean()


check("04.cross_entropy", my_cross_entropy)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def my_cross_entropy(logits, targets):
#     log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
#     return -log_probabilities[torch.arange(len(targets)), targets].mean()
# ```
# </details>

# %% [markdown]
# ## Summary
#
# - Expected value ($\sum_x x\,P(X = x)$), variance and standard deviation describe a random variable; averages of $n$ independent draws approach the expected value (law of large numbers), with a standard deviation of $\sigma/\sqrt{n}$, and for large $n$ lie within $2\sigma/\sqrt{n}$ about 95% of the time (central limit theorem).
# - Conditional probability is counting within a subset; independence means $P(A \cap B) = P(A)P(B)$, and conditional independence the same within each class; naive Bayes assumes each word of a review is drawn independently given the class, and real reviews break it (a word that appears tends to come back); Bayes' rule turns likelihoods and a prior into a posterior (posterior odds = prior odds × likelihood ratio), and turns a classifier's recall into its precision.
# - Naive Bayes adds up word evidence as one matrix product; ours matches `MultinomialNB` exactly, and its test accuracy is the baseline for 07. Words without context miss negation ("never boring").
# - Softmax turns logits into probabilities; temperature sharpens or flattens them.
# - Cross-entropy $= H(p) + D_{KL}(p\,\|\,q)$ (and KL is not symmetric: $D_{KL}(p\,\|\,q) \ne D_{KL}(q\,\|\,p)$); minimizing cross-entropy is maximum likelihood (for a share: $q = k/n$, where the slope is zero), and MSE is the same idea for Gaussian noise.
#
# **Next:** [05 · Gradient descent, losses and regularization](05_gradient_descent.ipynb).
