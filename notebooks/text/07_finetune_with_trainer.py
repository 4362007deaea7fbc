# %% [markdown]
# # 07 · Fine-tuning BERT for sentiment with the Trainer
#
# **You will fine-tune a pretrained BERT to tell positive movie reviews from negative ones, on a laptop CPU in a couple of minutes, evaluate it honestly, save it and use it like any Hub model.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/07_finetune_with_trainer.ipynb)
#
# **Time needed:** about 60 minutes to read and try; the code runs in about two minutes on a 2-core CPU laptop, most of it fine-tuning (the README's table has the measured time).
# **Prerequisites:** [04 · Probability and Bayes](04_probability_and_bayes.ipynb) (the naive Bayes baseline), [05 · Gradient descent](05_gradient_descent.ipynb) (AdamW, warm-up) and [06 · Self-attention](06_self_attention.ipynb) (what is inside BERT).

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. load IMDb-style reviews and tokenize them with `datasets.map(batched=True)`, choosing which part of a long review to keep;
# 2. count what truncation and dynamic padding each save against padding everything to 512 tokens;
# 3. fine-tune with `TrainingArguments` and `Trainer` (transformers 5), with metrics from scikit-learn and evaluation during training;
# 4. evaluate beyond one number: a confusion matrix, the most confident mistakes, and two baselines, with predictions paired with the right reviews;
# 5. save the model with its labels and the way it reads a review, and serve it the way it was trained.

# %% [markdown]
# ## Setup
#
# The usual first cell. Then the sizes of everything, in one place: the `quick` values run on a laptop CPU, the `full` values are for a GPU (`COURSE_PROFILE=full`, chosen automatically when one is present).

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_utils import check

MODEL_ID = config.model_id                # quick: all-MiniLM-L6-v2 (the same weights online and offline); full: bert-base-uncased
DATASET_ID = "stanfordnlp/imdb"

MAX_LENGTH = config.pick(quick=64, full=512)         # tokens kept per review
HEAD = config.pick(quick=16, full=128)               # ... of which from the start (the rest from the end)
N_TRAIN = config.pick(quick=1100, full=None)         # None: every training review (the offline reviews have 1,146 after validation)
N_VALIDATION = config.pick(quick=96, full=1000)      # held out of train, watched during training
N_TEST = config.pick(quick=320, full=None)
BATCH_SIZE = config.pick(quick=16, full=16)         # full: 512 tokens of bert-base fit a 16 GB T4 in fp16
EPOCHS = config.pick(quick=2, full=2)                # on a thousand reviews one epoch is too few: it can stall near chance
LEARNING_RATE = config.pick(quick=2e-4, full=2e-5)    # small models and short runs like a larger rate
FREEZE_EMBEDDINGS = config.pick(quick=True, full=False)

# %% [markdown]
# ## 1 · The task, the data, and what the seeds got wrong
#
# The task is the classic one: read a movie review, say whether it is positive (`pos`, 1) or negative (`neg`, 0). The data set is IMDb (Maas et al., 2011): 25,000 training and 25,000 test reviews, on the Hub as `stanfordnlp/imdb`. The model depends on the profile, and is the same online and offline: in the quick profile (a CPU laptop) *all-MiniLM-L6-v2*, a 6-layer, 384-wide BERT with `bert-base-uncased`'s vocabulary and an eighth of its compute per token ($6 \cdot 384^2$ against $12 \cdot 768^2$); in the full profile (a GPU) `bert-base-uncased` itself.
#
# `course_utils.load_reviews` and `course_utils.model_path` get both from your cache or the Hub; offline (a workshop room, CI) they serve the course's own reviews of invented films, written by hand in many voices and shaped like IMDb's (plot retold at length, `<br />` breaks, mixed and sarcastic opinions; the data card `course_utils/data/REVIEWS_CARD.md` has the numbers), and the quick profile's model from a pip package (the full profile's `bert-base-uncased` is then stood in for by the same small BERT, and the line printed says so). The code below is the same either way.
#
# The code this course started from did not run. Here is each problem and what we do instead:
#
# | The seed code | The problem | Here |
# |---|---|---|
# | `pd.read_csv("aclImdb_v1.tar.gz")` | the archive is folders of text files, not a CSV | `load_reviews("stanfordnlp/imdb")`: a `DatasetDict` with `text` and `label` |
# | `df["text"].apply(tokenizer)` | one Python call per review, results in a column of dicts | `dataset.map(tokenize, batched=True)`: a thousand reviews per call, stored as columns |
# | `Trainer(train_dataset=tokenizer(texts))` | raw encodings have no labels and are not a dataset | the mapped dataset, with `label` beside `input_ids` |
# | `padding="max_length", max_length=512` | most of every batch is padding | no padding at tokenization; `DataCollatorWithPadding` pads each batch to its longest review |
# | stops after `trainer.train()` | no idea whether it worked | metrics during training, a test set, baselines, error analysis |

# %%
reviews = course_utils.load_reviews(DATASET_ID)
reviews

# %% [markdown]
# A `DatasetDict` is a dictionary of splits; each split is a table with columns. The labels carry their names:

# %%
print(reviews["train"].features["label"].names)
example = reviews["train"][0]
print(example["label"], example["text"][:400], "...")

# %% [markdown]
# For the quick profile we take a few hundred reviews. The **validation** set comes out of the training split: we watch it during training and may make choices with it. The **test** split is looked at once, at the end. `stratify_by_column` keeps both halves balanced.

# %%
split = reviews["train"].shuffle(seed=config.seed).train_test_split(
    test_size=N_VALIDATION, seed=config.seed, stratify_by_column="label")
train_reviews = split["train"].select(range(N_TRAIN)) if N_TRAIN else split["train"]
validation_reviews = split["test"]
test_reviews = reviews["test"].shuffle(seed=config.seed).select(range(N_TEST)) if N_TEST else reviews["test"]
print(f"train {len(train_reviews)}, validation {len(validation_reviews)}, test {len(test_reviews)}")

# %% [markdown]
# ## 2 · Tokenization, and what to keep of a long review
#
# BERT reads at most 512 tokens, and every extra token costs time: attention grows with the square of the length (notebook 06). How long are the reviews, in tokens?

# %%
from transformers import AutoTokenizer

model_folder = course_utils.model_path(MODEL_ID)
tokenizer = AutoTokenizer.from_pretrained(model_folder)

token_counts = np.array([len(ids) for ids in tokenizer(list(reviews["train"]["text"]))["input_ids"]])
plt.hist(token_counts, bins=40)
plt.axvline(MAX_LENGTH, color="C1", label=f"MAX_LENGTH = {MAX_LENGTH}")
plt.axvline(512, color="grey", ls=":", label="BERT's limit, 512")
plt.xlabel("tokens per review"); plt.ylabel("reviews"); plt.legend()
plt.title("Review lengths (training split)")
plt.show()
print(f"median {np.median(token_counts):.0f} tokens; {np.mean(token_counts > MAX_LENGTH):.0%} of reviews are longer than {MAX_LENGTH}, "
      f"{np.mean(token_counts > 512):.0%} longer than 512")

# %% [markdown]
# So most reviews will be cut. The usual cut, `truncation=True`, keeps the **start**. But look at how reviews are written: an opener, a long retelling of the plot, and the verdict at the end. Keeping the start keeps the plot and throws the opinion away. Sun et al. ([2019](https://arxiv.org/abs/1905.05583)) compared the options on IMDb and found that keeping the **head and the tail** works best.
#
# `course_utils.finetune.head_and_tail` keeps `[CLS]`, the first `HEAD` tokens, and the last tokens up to `MAX_LENGTH` (you will write it yourself in Exercise 1). On one long review:

# %%
from course_utils.finetune import head_and_tail

long_review = max(reviews["test"]["text"], key=len)
ids = tokenizer(long_review)["input_ids"]
start_only = ids[:MAX_LENGTH - 1] + [tokenizer.sep_token_id]
print(f"{len(ids)} tokens.\n")
print("KEEP THE START:", tokenizer.decode(start_only[-40:], skip_special_tokens=True), "\n")
print("HEAD AND TAIL: ", tokenizer.decode(head_and_tail(ids, MAX_LENGTH, HEAD)[-40:], skip_special_tokens=True))


# %% [markdown]
# The last 40 kept tokens tell the story: the first is still retelling the plot, the second is the verdict.
#
# Now the whole data set. `map(batched=True)` hands our function a thousand reviews at a time (the fast tokenizer works on the whole batch in Rust) and stores the result as new columns. We do **not** pad here; that happens per batch, below. `length` is kept for measuring.

# %%
def tokenize(batch):
    ids = [head_and_tail(row, MAX_LENGTH, HEAD) for row in tokenizer(list(batch["text"]))["input_ids"]]
    return {"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids], "length": [len(row) for row in ids]}


encoded = {name: part.map(tokenize, batched=True, remove_columns=["text"])
           for name, part in [("train", train_reviews), ("validation", validation_reviews), ("test", test_reviews)]}
encoded["train"]

# %% [markdown]
# *Try it:* change `HEAD` to `MAX_LENGTH - 2` in the config cell (keep the start only: `[CLS]`, the first tokens, `[SEP]`), run the notebook again and compare the test accuracy with this run's.
#
# ## 3 · Truncation and dynamic padding: count the tokens
#
# A batch is a rectangle, so shorter reviews are padded to the length of the longest. Padding every review to 512 (the seed code) makes every batch 512 wide. Two things make batches narrower: cutting every review to `MAX_LENGTH` tokens (above), and `DataCollatorWithPadding`, which pads each batch only to its own longest review. Count the tokens one epoch feeds the model each way, on the same batches:

# %%
from transformers import DataCollatorWithPadding

from course_utils.finetune import padded_tokens

collator = DataCollatorWithPadding(tokenizer)
lengths = encoded["train"]["length"]
order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(config.seed)).tolist()
epoch_tokens = {
    "no cut, pad to 512": padded_tokens(lengths, BATCH_SIZE, pad_to=512),
    f"cut to {MAX_LENGTH}, pad to {MAX_LENGTH}": padded_tokens(lengths, BATCH_SIZE, pad_to=MAX_LENGTH),
    f"cut to {MAX_LENGTH}, dynamic": padded_tokens([lengths[i] for i in order], BATCH_SIZE),
    f"cut to {MAX_LENGTH}, dynamic, grouped by length": padded_tokens(sorted(lengths), BATCH_SIZE),
}
for name, tokens in epoch_tokens.items():
    print(f"{name:>36}: {tokens:>9,} tokens per epoch, {tokens / epoch_tokens['no cut, pad to 512']:.0%} of padding to 512")
cut, padded, dynamic, _ = epoch_tokens.values()
print(f"\ncutting saves x{cut / padded:.1f}, dynamic padding on top x{padded / dynamic:.2f}")
assert cut / padded > padded / dynamic   # the claim below: the cut does most of the work

# %% [markdown]
# Nearly all of the saving comes from **cutting** reviews to `MAX_LENGTH` (first ratio): most reviews are longer than that, so after the cut most batches hold a review of full length and dynamic padding has little left to remove (second ratio). It matters much more at 512 tokens, where lengths vary below the limit. Tokens are not time either: attention's cost grows with the square of the length. Notebook 08 measures the time of each strategy on your CPU.

# %% [markdown]
# Sorting reviews by length before batching (`train_sampling_strategy="group_by_length"`, below) removes what padding is left: the last row.
#
# ## 4 · `TrainingArguments` and `Trainer`
#
# The model is BERT with a small classification head on the `[CLS]` token: a new `Linear(hidden, 2)`, initialised at random (that is what fine-tuning trains from scratch; everything else starts pretrained). `label_config()` stores the names `neg`/`pos` in the model's config, so every prediction will carry them.
#
# In the quick profile we also **freeze the embeddings**. They are half of this small BERT's weights, and a few hundred reviews touch only a few thousand of the 30,522 words: training them would move those words away from all the others, which hurts on real reviews full of words ours never use. Freezing also makes each step cheaper.

# %%
from transformers import AutoModelForSequenceClassification

from course_utils.finetune import freeze_embeddings, label_config

model = AutoModelForSequenceClassification.from_pretrained(model_folder, num_labels=2, **label_config())
if FREEZE_EMBEDDINGS:
    freeze_embeddings(model)
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
total = sum(p.numel() for p in model.parameters())
print(f"{type(model).__name__}: {total / 1e6:.1f} M parameters, {trainable / 1e6:.1f} M trainable")
print(model.classifier)

# %% [markdown]
# The Trainer calls `compute_metrics` with the model's outputs on the validation set: `predictions` (logits, one row per review) and `label_ids`. We let scikit-learn compute the metrics; never hand-write these.
#
# - **accuracy**: the share of reviews classified correctly;
# - **precision**: of the reviews called positive, the share that are; **recall**: of the positive reviews, the share found; **F1**: their harmonic mean.

# %%
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def compute_metrics(eval_prediction):
    predictions = eval_prediction.predictions.argmax(axis=-1)
    labels = eval_prediction.label_ids
    precision, recall, f1, _ = precision_recall_fscore_support(labels, predictions, average="binary", zero_division=0)
    return {"accuracy": accuracy_score(labels, predictions), "precision": precision, "recall": recall, "f1": f1}


# %% [markdown]
# `TrainingArguments` holds every choice about *how* to train. The names are transformers 5's: `eval_strategy` (once `evaluation_strategy`), `warmup_steps` as a fraction of all steps (once `warmup_ratio`), `train_sampling_strategy` (once `group_by_length=True`). We evaluate every `eval_steps` steps and log the training loss every 5, and switch off the progress bar and the printed log, keeping the log in `trainer.state.log_history` to draw.

# %%
from transformers import PrinterCallback, Trainer, TrainingArguments

steps = EPOCHS * -(-len(encoded["train"]) // BATCH_SIZE)
arguments = TrainingArguments(
    output_dir=str(config.output_dir / "imdb-trainer-checkpoints"),
    num_train_epochs=EPOCHS,
    per_device_train_batch_size=BATCH_SIZE,
    per_device_eval_batch_size=64,
    learning_rate=LEARNING_RATE,
    weight_decay=0.01,
    warmup_steps=0.1,                             # a float: the share of steps spent warming up
    lr_scheduler_type="linear",
    train_sampling_strategy="group_by_length",    # batches of similar lengths: little padding
    eval_strategy="steps",
    eval_steps=max(steps // 3, 1),
    logging_steps=5,
    save_strategy="no",                           # we save once, at the end, ourselves
    report_to="none",
    disable_tqdm=True,
    dataloader_pin_memory=config.device == "cuda",  # pinned memory speeds copies to a GPU only
    bf16=config.mixed_precision == "bf16",        # on a GPU: 16-bit matrix products where it has bf16 units,
    fp16=config.mixed_precision == "fp16",        # ... else fp16 with loss scaling (a T4); fp32 on a CPU
    seed=config.seed,
)
trainer = Trainer(model=model, args=arguments, train_dataset=encoded["train"], eval_dataset=encoded["validation"],
                  data_collator=collator, compute_metrics=compute_metrics)
trainer.remove_callback(PrinterCallback)
print(f"{steps} steps of {BATCH_SIZE} reviews, evaluating every {arguments.eval_steps} steps")

# %% [markdown]
# Now the fine-tuning itself. In the quick profile it takes a minute or two on a 2-core laptop CPU; the figure below says how long it took on yours. `train()` returns the training loss **averaged over the whole run**; the curves show how it fell.

# %%
start = time.perf_counter()
result = trainer.train()
fine_tune_seconds = time.perf_counter() - start
print(f"training loss, averaged over all {result.global_step} steps: {result.training_loss:.2f}")

# %% [markdown]
# The Trainer's HTML progress table changes on every run; the curves say more. Training loss is logged every 5 steps (each point is the average over those steps), validation loss and accuracy at each evaluation:

# %%
from course_utils.finetune import trainer_curves
from course_utils.plotting import curves

history = trainer_curves(trainer.state.log_history)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
curves({name: history[name] for name in ("training loss", "validation loss")}, ylabel="cross-entropy",
       title=f"Fine-tuning: {fine_tune_seconds:.0f} s on this machine", ax=left)
curves({"validation accuracy": history["validation accuracy"]}, ylabel="accuracy", ax=right)
right.set_ylim(0.4, 1.0)
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 5 · Evaluation on the test set
#
# Now, once, the test reviews. `trainer.predict` returns the logits, the labels in the order it used, and the same metrics:

# %%
test_output = trainer.predict(encoded["test"])
test_metrics = {name.removeprefix("test_"): value for name, value in test_output.metrics.items()
                if name.removeprefix("test_") in ("accuracy", "precision", "recall", "f1")}
print("  ".join(f"{name} {value:.2f}" for name, value in test_metrics.items()))

# %% [markdown]
# One trap before we look at single reviews. With `train_sampling_strategy="group_by_length"`, transformers 5 sorts the **evaluation** batches by length too, so the rows of `test_output.predictions` are not in the order of `test_reviews`. The metrics above are right, because the Trainer pairs each prediction with its own `label_ids`; but pairing its predictions with `test_reviews["label"]`, or with a review's text, would pair them with the wrong reviews.
#
# To look at single reviews we need predictions in the data set's order. `course_utils.finetune.classify` gives exactly that: it reads each review the way training did (head and tail, `MAX_LENGTH` tokens), in evaluation mode, and returns one row of probabilities per review, in order. Same model, same inputs, so it must agree with the Trainer, and the cell checks that it does:

# %%
from course_utils.finetune import classify

test_labels = np.array(test_reviews["label"])
test_probabilities = classify(test_reviews["text"], model, tokenizer, MAX_LENGTH, HEAD)   # rows in test_reviews' order
test_predictions = test_probabilities.argmax(axis=-1)
trainer_predictions = test_output.predictions.argmax(axis=-1)
print("the Trainer's rows are in test_reviews' order:", bool((test_output.label_ids == test_labels).all()))
print(f"accuracy: Trainer {test_metrics['accuracy']:.3f}, classify in test_reviews' order {np.mean(test_predictions == test_labels):.3f}")
# Same model, same inputs: the same predictions, only in another order (equal confusion matrices).
assert sorted(zip(test_output.label_ids, trainer_predictions)) == sorted(zip(test_labels, test_predictions))
assert np.mean(test_predictions == test_labels) == test_metrics["accuracy"]

# %% [markdown]
# A **confusion matrix** shows which way the mistakes go: rows are the truth, columns the prediction.

# %%
from sklearn.metrics import ConfusionMatrixDisplay

ConfusionMatrixDisplay.from_predictions(test_labels, test_predictions, display_labels=["neg", "pos"], cmap="Blues", colorbar=False)
plt.title(f"Test reviews (accuracy {np.mean(test_predictions == test_labels):.2f})"); plt.show()

# %% [markdown]
# The most instructive errors are the ones the model was most sure of. Read them: is the label wrong, is the review sarcastic, was the verdict cut away?

# %%
confidence = test_probabilities.max(axis=-1)
mistakes = np.flatnonzero(test_predictions != test_labels)
for index in mistakes[np.argsort(-confidence[mistakes])][:3]:
    text = test_reviews[int(index)]["text"].replace("<br /><br />", " ")
    print(f"true {['neg', 'pos'][test_labels[index]]}, predicted {['neg', 'pos'][test_predictions[index]]} "
          f"with p = {confidence[index]:.2f}, {len(text.split())} words:")
    print(f"  {text if len(text) <= 600 else text[:300] + ' [...] ' + text[-300:]}\n")   # the start and the end
if len(mistakes) == 0:
    print("No mistakes on the test reviews.")

# %% [markdown]
# ### Baselines: was fine-tuning worth it?
#
# A number means little alone. Two baselines, trained on the same training reviews and scored on the same test reviews:
#
# - **naive Bayes** on word counts, from notebook 04: seconds to train, no idea of word order;
# - **frozen sentence vectors + logistic regression**, from notebook 05: the small pretrained sentence encoder `sentence-transformers/all-MiniLM-L6-v2` (notebook 03), not fine-tuned, its mean-pooled vectors (of the last 64 tokens) fed to a linear classifier, trained here on half the training reviews to keep the notebook fast. This is the cheap strong baseline: if fine-tuning does not beat it, fine-tuning was not worth its cost.

# %%
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

from course_utils.reviews import is_course_copy

vectorizer = CountVectorizer()
naive_bayes = MultinomialNB().fit(vectorizer.fit_transform(train_reviews["text"]), train_reviews["label"])
naive_bayes_accuracy = accuracy_score(test_labels, naive_bayes.predict(vectorizer.transform(test_reviews["text"])))

few = train_reviews.select(range(len(train_reviews) // 2))  # half of them, to stay within two minutes
train_vectors = course_utils.sentence_vectors(few["text"], max_length=64, keep="end")
test_vectors = course_utils.sentence_vectors(test_reviews["text"], max_length=64, keep="end")
frozen = LogisticRegression(C=10, max_iter=2000).fit(train_vectors.numpy(), few["label"])
frozen_accuracy = accuracy_score(test_labels, frozen.predict(test_vectors.numpy()))

for name, accuracy in [("naive Bayes (04)", naive_bayes_accuracy),
                       ("frozen MiniLM vectors + logistic regression (05)", frozen_accuracy),
                       ("fine-tuned BERT (this notebook)", test_metrics["accuracy"])]:
    print(f"{name:>49}: {accuracy:.2f}")
margin = test_metrics["accuracy"] - max(naive_bayes_accuracy, frozen_accuracy)
print(f"fine-tuning against the better baseline: {margin:+.2f} ({'better' if margin > 0 else 'not better'})")
if is_course_copy(reviews):   # the claim below is about the course's own reviews
    assert margin >= 0.03 and frozen_accuracy < naive_bayes_accuracy, (margin, frozen_accuracy)

# %% [markdown]
# Read the last line before believing any story about fine-tuning. On the course's offline reviews (what a saved copy of this notebook shows), fine-tuning beats both baselines, and the frozen vectors come last; the cell checks both, and that the margin is at least three points. Why: these reviews carry their verdict in irony, concessions and comparisons ("great fun, if you switch your brain off"; "a five for the script, a ten for the costumes"), inside long retellings of the plot full of names, and a word counter weighs every word alike, wherever it stands; BERT reads words in context and, through the head and the tail, mostly the opinion. The frozen sentence vectors do worst, because a model trained for similarity encodes what a review is *about* more than what it thinks (notebook 03). Read the mistakes above with this in mind: is the verdict mixed, sarcastic, or hidden behind the plot? On real IMDb the published numbers tell the same story: naive Bayes on word counts reaches about 83% ([Wang and Manning, 2012](https://aclanthology.org/P12-2018/)), a fine-tuned BERT-base about 94% ([Sun et al., 2019](https://arxiv.org/abs/1905.05583)); frozen sentence vectors land in between or below, depending on the model. Judge a model on data like the data it will meet.
#
# ## 6 · Save, reload, use
#
# `save_model` writes the weights (as `model.safetensors`) and the config, including our label names and, because we add it, how the model cut reviews in training; the tokenizer is saved beside them so the folder is complete. It goes to `$COURSE_OUTPUT_DIR/imdb-trainer` (by default `outputs/` at the top of the course, ignored by git).

# %%
save_folder = config.output_dir / "imdb-trainer"
model.config.head_and_tail = {"max_length": MAX_LENGTH, "head": HEAD}   # how it reads a review, kept in config.json
trainer.save_model(str(save_folder))
tokenizer.save_pretrained(str(save_folder))
print(sorted(path.name for path in save_folder.iterdir()))
print(model.config.id2label, model.config.head_and_tail)

# %% [markdown]
# Anyone can now load it the way they would load a model from the Hub. But remember how it learned: from the head and the tail of each review, `MAX_LENGTH` tokens in all. A plain `pipeline("text-classification", model=folder, truncation=True)` knows nothing of that and feeds the model the **first** 512 tokens: a different input from the one it was trained on, and usually without the verdict. `course_utils.finetune.ReviewClassifier` loads the same folder and reads text the trained way, from the recipe we stored in `config.json`. Both, on the same test reviews:

# %%
from transformers import pipeline

from course_utils.finetune import ReviewClassifier

classifier = ReviewClassifier.load(save_folder, device=config.device)   # reads config.head_and_tail
plain_pipeline = pipeline("text-classification", model=str(save_folder), device=config.device, truncation=True)

# 96 test reviews, shortest first: each batch of 16 then pads to a similar length (group_by_length's trick)
shortest_first = sorted(range(96), key=lambda i: len(test_reviews[i]["text"]))
sample = test_reviews.select(shortest_first)
truth = [model.config.id2label[label] for label in sample["label"]]
served = {"pipeline(truncation=True): the first 512 tokens": plain_pipeline(list(sample["text"]), batch_size=16),
          f"ReviewClassifier: head and tail, {MAX_LENGTH} tokens": classifier(list(sample["text"]))}
for name, results in served.items():
    print(f"{name:>50}: accuracy {np.mean([r['label'] == t for r, t in zip(results, truth)]):.2f} on {len(truth)} test reviews")
# the reloaded model, read the trained way, gives exactly the predictions of the model in memory
assert [r["label"] for r in served[f"ReviewClassifier: head and tail, {MAX_LENGTH} tokens"]] == \
    [model.config.id2label[int(p)] for p in test_predictions[shortest_first]]
print()
for result in classifier(["A warm, clever film; I loved every minute.", "Two hours I will never get back."]):
    print(result["label"], round(result["score"], 2))

# %% [markdown]
# Type a review of your own in the box (in JupyterLab or Colab; a saved notebook shows fixed examples instead). Try negation, sarcasm, a plot summary with the verdict at the end. Watch the probabilities: short, tricky sentences like the first two below are far from the long reviews the model was fine-tuned on, and on such sentences a model is often unsure, or wrong; find one that fools it.

# %%
import ipywidgets as widgets
from course_utils.widgets import explore


def classify_review(review):
    result = classifier([review])[0]
    print(f"{result['label']} (p = {result['score']:.2f}): {review}")


explore(classify_review, controls={"review": widgets.Text(value="Not bad at all, actually.", continuous_update=False)},
        static=[{"review": "Not bad at all, actually."}, {"review": "I wanted to love it, but I could not even like it."},
                {"review": "The plot is about a detective in Lisbon.<br /><br />Dull, predictable and far too long. 2/10."}])


# %% [markdown]
# ### The full profile: the real thing on a GPU
#
# With `COURSE_PROFILE=full` (set automatically where a GPU is present) the same cells fine-tune `bert-base-uncased` (110 M parameters, 12 layers) on all 24,000 training reviews of the real IMDb, 512 tokens each (head 128 + tail 382, as Sun et al. did), 2 epochs, batches of 16 (at 512 tokens a batch of 32 would leave a 16 GB T4 almost no room), learning rate 2·10⁻⁵, embeddings trained too, in 16-bit mixed precision: bf16 where the GPU has it (A100, H100, L4), fp16 with loss scaling on a T4 (`config.mixed_precision` decides, in `TrainingArguments` above). Expect about **94% test accuracy**: Sun et al. report 94.4% for this recipe, and plain fine-tuning lands at 93–94%.
#
# How long? Not measured here (no GPU lent to this course's CI), so an estimate from arithmetic: training costs about 6 × parameters × tokens floating-point operations, here 6 × 86 M (the weights outside the embeddings) × 24,000 × 512 tokens × 2 epochs ≈ 1.3·10¹⁶, plus about a third more for attention at 512 tokens. At the 25–35% of peak speed that BERT training typically reaches, that is **about 2–4 minutes on an H100 or A100 with bf16, and 15–30 minutes on Colab's free T4 in fp16**. On a 2-core laptop CPU, at the speed notebook 08 measures, it would take days: that is why the quick profile exists.
#
# ## Exercises

# %% [markdown]
# ### Exercise 1: keep the head and the tail
#
# Write `keep_head_and_tail(ids, max_length, head)`: given token ids `[CLS] ... [SEP]`, return them unchanged if they fit in `max_length`; otherwise keep `[CLS]` and the `head` tokens after it, and fill the rest with the end of the review (the last tokens, ending with `[SEP]`), so the result is exactly `max_length` long.

# %%
def keep_head_and_tail(ids, max_length, head):
    # Your code here: replace this line.
    return ids[:max_length]


check("07.head_and_tail", keep_head_and_tail)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def keep_head_and_tail(ids, max_length, head):
#     ids = list(ids)
#     if len(ids) <= max_length:
#         return ids
#     tail = max_length - head - 1        # [CLS] + head tokens + tail tokens = max_length
#     return ids[:head + 1] + ids[-tail:]
# ```
#
# `ids[-tail:]` ends with `[SEP]`, so the result is still a well-formed BERT input.
# </details>

# %% [markdown]
# ### Exercise 2: count the padding
#
# Write `tokens_per_epoch(lengths, batch_size)`: the number of tokens the model processes in one epoch when the reviews (with the given token `lengths`, in this order) are cut into consecutive batches of `batch_size` and each batch is padded to its longest review. Then use it to see how much sorting by length saves: `tokens_per_epoch(sorted(lengths), BATCH_SIZE)`.

# %%
def tokens_per_epoch(lengths, batch_size):
    # Your code here: replace this line.
    return sum(lengths)


check("07.padded_tokens", tokens_per_epoch)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def tokens_per_epoch(lengths, batch_size):
#     total = 0
#     for start in range(0, len(lengths), batch_size):
#         batch = lengths[start:start + batch_size]
#         total += len(batch) * max(batch)     # every review in the batch is padded to the longest
#     return total
# ```
#
# `sum(lengths)` is what the model would process with no padding at all; the difference is wasted work.
# </details>

# %% [markdown]
# ### Exercise 3: a metric for imbalanced data
#
# On IMDb the classes are balanced, so accuracy is fair. On a data set with 95% positive reviews, a model that always says `pos` scores 95%. Write `compute_metrics_balanced(eval_prediction)` that returns `{"balanced_accuracy": ..., "mcc": ...}` using scikit-learn's `balanced_accuracy_score` and `matthews_corrcoef`: both give that useless model 0.5 and 0.0.

# %%
def compute_metrics_balanced(eval_prediction):
    # Your code here: replace this line.
    return {}


check("07.compute_metrics", compute_metrics_balanced)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# from sklearn.metrics import balanced_accuracy_score, matthews_corrcoef
#
#
# def compute_metrics_balanced(eval_prediction):
#     predictions = eval_prediction.predictions.argmax(axis=-1)
#     labels = eval_prediction.label_ids
#     return {"balanced_accuracy": balanced_accuracy_score(labels, predictions), "mcc": matthews_corrcoef(labels, predictions)}
# ```
#
# Pass it as `compute_metrics=` to the Trainer to see both during training.
# </details>

# %% [markdown]
# ## Summary
#
# - Load data as a `DatasetDict`, tokenize with `map(batched=True)`, and leave padding to `DataCollatorWithPadding`. Cutting every review to `MAX_LENGTH` tokens (64 in the quick profile) is what makes an epoch several times cheaper than padding to 512 (section 3 counted by how much); dynamic padding removes little more at 64 tokens, and grouping by length much more at 512 (notebook 08 measures the time).
# - Long reviews must be cut; keep the head and the tail, because the verdict is usually at the end.
# - `TrainingArguments` + `Trainer` run the loop: warm-up, decay, evaluation every few steps, metrics from scikit-learn, and a log you can draw.
# - Evaluate on a test set once, look at the confusion matrix and the most confident mistakes, and compare with baselines (naive Bayes, frozen vectors + logistic regression).
# - `save_model` + `tokenizer.save_pretrained` make a folder that loads like a Hub model, labels included. Serve it the way it was trained: `ReviewClassifier` reads the head and tail the model learned from, where a plain `pipeline(..., truncation=True)` would feed it the first 512 tokens.
# - The Trainer evaluates in its own order when it groups by length: pair predictions with `label_ids`, or predict in the data set's order, before you look at single reviews.
#
# **Next:** [08 · The training loop, evaluation and speed](08_training_loop_and_speed.ipynb): the same fine-tune as a plain PyTorch loop, evaluation in depth, and every speed-up measured.
