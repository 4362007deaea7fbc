# %% [markdown]
# # 08 · The training loop, evaluation and speed
#
# **You will write the fine-tuning loop that the Trainer hides, evaluate the model the way a careful reviewer would, and measure every common speed-up on your own CPU: which help, which do not, and why.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/08_training_loop_and_speed.ipynb)
#
# **Time needed:** about 90 minutes to read and try; the code runs in a few minutes on a 2-core CPU laptop (the README's table has the measured time).
# **Prerequisites:** [07 · Fine-tuning with the Trainer](07_finetune_with_trainer.ipynb); [05 · Gradient descent](05_gradient_descent.ipynb) for AdamW and warm-up; [03 · Linear algebra](03_linear_algebra.ipynb) for low rank.

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. write a PyTorch training loop with AdamW parameter groups, warm-up and decay, gradient clipping, evaluation and best-checkpoint keeping, and show that it takes exactly the Trainer's steps;
# 2. evaluate a classifier in depth: per-class metrics, calibration, a chosen threshold, accuracy by length, and its mistakes;
# 3. measure what speeds training up on a CPU (padding, grouping, freezing, accumulation, bf16, `torch.compile`, threads) and say what changes on a GPU;
# 4. run the same loop with `accelerate`, on several processes with `torchrun`, and compare full fine-tuning, freezing and LoRA adapters from `peft` at the same budget;
# 5. search reviews by meaning with a pretrained sentence encoder and with the encoder you fine-tuned, and tell what each finds.

# %% [markdown]
# ## Setup
#
# A smaller version of 07's fine-tune, the same in kind: head and tail with a quarter head, AdamW with warm-up and linear decay, the embeddings frozen in the quick profile. In the quick profile it reads 64 tokens (half of 07's window) of 512 training reviews (07 trains on 1,100; the cell below prints the sizes), two epochs in batches of 16 at a learning rate of 2e-4, twice 07's (07 takes one epoch in batches of 8 at 1e-4), to leave time for the rest of the notebook: three fine-tunes of that size (the loop, then freezing and LoRA at the same budget) and a few short ones. So do not expect 07's accuracy; 07's table shows what a shorter window costs. In the full profile (a GPU) every size and the learning rate (2e-5) are 07's. The config cell below sets both profiles' values side by side.

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

MODEL_ID = config.model_id     # quick: sentence-transformers/all-MiniLM-L6-v2; full: bert-base-uncased (as in 07)
DATASET_ID = "stanfordnlp/imdb"

MAX_LENGTH = config.pick(quick=64, full=512)             # 07 reads 128 in the quick profile; half leaves time for the rest
HEAD = config.pick(quick=16, full=128)                   # a quarter of the window, as in 07
N_TRAIN = config.pick(quick=512, full=None)              # 07 trains on 1,100; fewer here leaves time for the rest
N_VALIDATION = config.pick(quick=96, full=1000)
N_TEST = config.pick(quick=320, full=None)
BATCH_SIZE = config.pick(quick=16, full=16)
EPOCHS = config.pick(quick=2, full=2)
LEARNING_RATE = config.pick(quick=2e-4, full=2e-5)
FREEZE_EMBEDDINGS = config.pick(quick=True, full=False)
MATCH_STEPS = 4                                          # steps of the loop and of the Trainer compared one by one
LORA_RANK = 8                                            # LoRA trains on the same reviews for the same epochs as the loop,
LORA_LEARNING_RATE = config.pick(quick=5e-3, full=5e-4)   # ... at its own rate: adapters start at zero and need a large one
N_MISTAKES_SHOWN = 8                                     # the error analysis prints the most confident mistakes, not all
N_SEARCHED = config.pick(quick=None, full=5000)          # semantic search over all test reviews, or the first 5,000

# %% [markdown]
# ## 1 · Data and model, as in 07
#
# Notebook 07 built these step by step; here the same steps come from `course_utils.finetune`: the same splits, head-and-tail tokenization with `map(batched=True)`, no padding yet. We keep each review's token count aside for later and give the model only the columns it takes.

# %%
from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

from course_utils.finetune import freeze_embeddings, label_config, tokenize_reviews

reviews = course_utils.load_reviews(DATASET_ID)
split = reviews["train"].shuffle(seed=config.seed).train_test_split(
    test_size=N_VALIDATION, seed=config.seed, stratify_by_column="label")
train_reviews = split["train"].select(range(N_TRAIN)) if N_TRAIN else split["train"]
validation_reviews = split["test"]
test_reviews = reviews["test"].shuffle(seed=config.seed).select(range(N_TEST)) if N_TEST else reviews["test"]

model_folder = course_utils.model_path(MODEL_ID)
tokenizer = AutoTokenizer.from_pretrained(model_folder)
collator = DataCollatorWithPadding(tokenizer)
encoded = {name: tokenize_reviews(part, tokenizer, MAX_LENGTH, HEAD)
           for name, part in [("train", train_reviews), ("validation", validation_reviews), ("test", test_reviews)]}
lengths = {name: list(part["length"]) for name, part in encoded.items()}   # plain lists (datasets 4.0 gives a Column)
encoded = {name: part.select_columns(["input_ids", "attention_mask", "label"]) for name, part in encoded.items()}
print({name: len(part) for name, part in encoded.items()})


# %% [markdown]
# A fresh model each time we need one: pretrained BERT, a new classification head, embeddings frozen in the quick profile (07 says why). `torch.manual_seed` first, so the new head starts the same every time.

# %%
def fresh_model(**config_overrides):
    torch.manual_seed(config.seed)
    model = AutoModelForSequenceClassification.from_pretrained(model_folder, num_labels=2, **label_config(), **config_overrides)
    if FREEZE_EMBEDDINGS:
        freeze_embeddings(model)
    return model.to(config.device)


# %% [markdown]
# ## 2 · The training loop in plain PyTorch
#
# The Trainer is a loop like the one below, plus logging and bookkeeping. Writing it yourself is how you learn what each setting does, and it is what you need the day the Trainer does not fit. The pieces:
#
# - a `DataLoader` that shuffles the reviews and lets the **collator** pad each batch (dynamic padding, as in 07);
# - **AdamW** with two parameter groups: weight decay on weight matrices, none on biases and LayerNorm (`course_utils.finetune.parameter_groups`; you write it in Exercise 1);
# - a **linear schedule with warm-up**: the learning rate climbs from 0 over the first 10% of steps, then falls linearly to 0 (notebook 05);
# - **gradient clipping**: if the gradient's norm exceeds 1, scale it down to 1, so one odd batch cannot throw the weights far;
# - on a GPU, **mixed precision**: `torch.autocast` runs the matrix products in 16 bits (`config.autocast_dtype`: bf16 where the GPU has it, else fp16, whose small range needs the loss scaled up before `backward` so that small gradients do not round to zero: `GradScaler`); on a CPU both are switched off and the loop runs in fp32;
# - **evaluation** every few steps under `torch.inference_mode()` (no graph is recorded: faster, less memory) and `model.eval()` (dropout off), with the same autocast as training on a GPU; it reads the **validation** reviews (`N_VALIDATION`: 1,000 at full size), never the test reviews, which are kept for the end;
# - keeping the **best checkpoint**: whenever validation accuracy improves, save the weights; at the end, load the best.
#
# First, prediction: P(positive) for every review of a data set.

# %%
from torch.utils.data import DataLoader


def predict(model, data, batch_size=64, half=config.autocast_dtype):
    """P(pos) for every review in `data`, and the true labels."""
    model.eval()                                    # dropout off
    probabilities, labels = [], []
    with torch.inference_mode(), torch.autocast(config.device, dtype=half, enabled=half is not None):   # no graph; 16 bits on a GPU
        for batch in DataLoader(data, batch_size=batch_size, collate_fn=collator):
            labels.append(batch.pop("labels"))
            batch = {key: value.to(config.device) for key, value in batch.items()}   # where the model is
            probabilities.append(torch.softmax(model(**batch).logits.float(), dim=-1)[:, 1].cpu())
    return torch.cat(probabilities).numpy(), torch.cat(labels).numpy()


# %% [markdown]
# Then the loop. It returns its curves and saves the best weights to `checkpoint`:

# %%
import math

from transformers import get_linear_schedule_with_warmup

from course_utils.finetune import parameter_groups


def train(model, learning_rate, checkpoint=None, data=None, epochs=EPOCHS, evaluations=3, shuffle=True,
          warmup_share=0.1, max_grad_norm=1.0, half=config.autocast_dtype):
    loader = DataLoader(encoded["train"] if data is None else data, batch_size=BATCH_SIZE, shuffle=shuffle,
                        collate_fn=collator, generator=torch.Generator().manual_seed(config.seed))
    optimizer = torch.optim.AdamW(parameter_groups(model, weight_decay=0.01), lr=learning_rate)
    total_steps = epochs * len(loader)
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(warmup_share * total_steps), total_steps)  # as the Trainer rounds
    evaluate_at = set(np.linspace(0, total_steps, evaluations + 1).round().astype(int)[1:])
    scaler = torch.amp.GradScaler(config.device, enabled=half == torch.float16)   # fp16 only: scale the loss
    curves = {"training loss": ([], []), "validation accuracy": ([], [])}
    best, step = -1.0, 0
    for _ in range(epochs):
        for batch in loader:
            batch = {key: value.to(config.device) for key, value in batch.items()}
            model.train()                                        # dropout on
            with torch.autocast(config.device, dtype=half, enabled=half is not None):   # 16 bits on a GPU
                loss = model(**batch).loss
            scaler.scale(loss).backward()                        # without fp16: just loss.backward()
            scaler.unscale_(optimizer)                           # clip the true gradients, not the scaled ones
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            scaler.step(optimizer)                               # optimizer.step(), skipped if fp16 overflowed
            scaler.update()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            curves["training loss"][0].append(step); curves["training loss"][1].append(loss.item())
            if step in evaluate_at:
                probabilities, labels = predict(model, encoded["validation"])
                accuracy = float(np.mean((probabilities > 0.5) == labels))
                curves["validation accuracy"][0].append(step); curves["validation accuracy"][1].append(accuracy)
                if accuracy > best:                              # keep the best checkpoint
                    best = accuracy
                    torch.save(model.state_dict(), checkpoint)
    if best >= 0:                                                # evaluated at least once: back to the best
        model.load_state_dict(torch.load(checkpoint, weights_only=True))   # tensors only: never unpickle code
    return curves


# %% [markdown]
# Train, and time it:

# %%
model = fresh_model()
start = time.perf_counter()
loop_curves = train(model, LEARNING_RATE, checkpoint=config.output_dir / "imdb-loop-best.pt")
loop_seconds = time.perf_counter() - start
print(f"best validation accuracy {max(loop_curves['validation accuracy'][1]):.2f}")

# %%
from course_utils.plotting import curves

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
curves({"training loss": loop_curves["training loss"]}, ylabel="cross-entropy",
       title=f"The plain loop: {loop_seconds:.0f} s on this machine", ax=left)
curves({"validation accuracy": loop_curves["validation accuracy"]}, ylabel="accuracy", ax=right)
right.set_ylim(0.4, 1.0)
plt.tight_layout(); plt.show()

# %% [markdown]
# The training loss is noisy because each point is one batch of 16 (the Trainer in 07 averaged 5 steps per point).
#
# ### Does it match the Trainer?
#
# The Trainer runs a loop like ours, so it should give the same numbers, not merely similar ones. Two things usually hide that: the order of the batches and dropout, each drawn from a random generator that the Trainer and our loop use differently. So for this check both take the training reviews in the order they are stored (they were shuffled once, when we split them: `train_sampling_strategy="sequential"` for the Trainer, `shuffle=False` for us) with dropout switched off, for the first `MATCH_STEPS` steps. Everything else is as in our loop: the model, batch size, learning rate, warm-up and linear decay, weight decay on the same parameters, clipping and the seed; `optim="adamw_torch"` asks the Trainer for the same `torch.optim.AdamW` that we use (its default is the fused variant, equal up to rounding):

# %%
from transformers import PrinterCallback, Trainer, TrainingArguments

first_batches = encoded["train"].select(range(MATCH_STEPS * BATCH_SIZE))
no_dropout = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}

loop_model = fresh_model(**no_dropout)
loop_losses = train(loop_model, LEARNING_RATE, data=first_batches, epochs=1, evaluations=0, shuffle=False, half=None)["training loss"][1]

trainer_model = fresh_model(**no_dropout)
arguments = TrainingArguments(
    output_dir=str(config.output_dir / "imdb-trainer-08"), num_train_epochs=1,
    per_device_train_batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, weight_decay=0.01,
    warmup_steps=0.1, lr_scheduler_type="linear", max_grad_norm=1.0, optim="adamw_torch",
    train_sampling_strategy="sequential", logging_steps=1, save_strategy="no",
    report_to="none", disable_tqdm=True, dataloader_pin_memory=False, seed=config.seed)   # fp32 for both, on any device
trainer = Trainer(model=trainer_model, args=arguments, train_dataset=first_batches, data_collator=collator)
trainer.remove_callback(PrinterCallback)
trainer.train()
trainer_losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]

pretrained = fresh_model().state_dict()
weight_gap = max((a - b).abs().max().item() for a, b in zip(loop_model.parameters(), trainer_model.parameters()))
moved = max((a - pretrained[name]).abs().max().item() for name, a in loop_model.named_parameters())
print("loss at each step, our loop:", " ".join(f"{loss:.3f}" for loss in loop_losses))
print("                the Trainer:", " ".join(f"{loss:.3f}" for loss in trainer_losses))
print(f"the weights moved from the pretrained ones: {moved > 1e-5}; the two models' weights agree within 1e-6: {weight_gap < 1e-6}")
assert len(loop_losses) == len(trainer_losses) == MATCH_STEPS and np.allclose(loop_losses, trainer_losses, atol=1e-4)
assert moved > 1e-5 and weight_gap < 1e-6                       # the claim below: the same steps, the same weights
del trainer, trainer_model, loop_model, pretrained              # free their memory

# %% [markdown]
# Step for step the same losses, and the same weights at the end: the Trainer is this loop plus bookkeeping. In an ordinary run the two differ in their random draws (the order of the batches, dropout, the new head's first weights), and so do two runs of the loop with two seeds: their accuracies differ, and in a short fine-tune on a few hundred reviews, by more than you might think: a short fine-tune's loss can sit near chance (ln 2 ≈ 0.69 for two classes) for a while before it falls (look at the curve above), and when a run leaves that plateau is partly luck. Measuring that takes several fine-tunes; here we measure the other noise every accuracy carries.
#
# **How precise is one test accuracy?** Even for one fixed model, an accuracy on `N_TEST` reviews is an estimate of its accuracy on all the reviews it could meet. The 95% interval below is the exact binomial one (Clopper–Pearson, from `scipy`) for the model our loop trained. It says how much the accuracy would move with another draw of test reviews; it says nothing about another training run, which adds its own variation on top.

# %%
from scipy.stats import binomtest

from course_utils.finetune import REAL_IMDB_MEASURED
from course_utils.reviews import is_course_copy

test_probabilities, test_labels = predict(model, encoded["test"])
loop_right = (test_probabilities > 0.5) == test_labels
interval = binomtest(int(loop_right.sum()), len(loop_right)).proportion_ci(0.95)
half_width = (interval.high - interval.low) / 2
print(f"plain loop: test accuracy {loop_right.mean():.3f}  (95% interval {interval.low:.3f} to {interval.high:.3f}, "
      f"about ±{half_width * 100:.0f} points on {len(loop_right)} reviews)")
all_of_imdb = binomtest(round(loop_right.mean() * 25_000), 25_000).proportion_ci(0.95)   # the same accuracy on 25,000
half_width_imdb = (all_of_imdb.high - all_of_imdb.low) / 2
print(f"the same accuracy on all 25,000 of IMDb's test reviews: about ±{half_width_imdb * 100:.1f} points")
if 0.02 < loop_right.mean() < 0.98:     # the claim below: the width shrinks with the square root of the count
    assert abs(half_width / half_width_imdb / math.sqrt(25_000 / len(loop_right)) - 1) < 0.25   # (not too near 0 or 1)
if not is_course_copy(reviews):   # real IMDb (online): what others measured, to compare with this run
    print(REAL_IMDB_MEASURED)

# %% [markdown]
# The interval narrows with the square root of the number of reviews: 100 times the reviews, a tenth of the width (the cell checks it for this accuracy, which holds away from 0% and 100%). So a few hundred reviews leave several points of doubt, and IMDb's 25,000 under one (both printed). Two models whose accuracies differ by less than its width may be equally good. When two models, or two ways of using one, are compared on the same reviews, a sharper test looks only at the reviews on which they disagree: McNemar's test, which we use below to judge a threshold.
#
# ## 3 · Evaluation in depth
#
# One accuracy hides a lot. From here on we study the loop's best model on the test reviews.
#
# ### Per-class precision, recall and F1

# %%
from sklearn.metrics import classification_report

test_predictions = (test_probabilities > 0.5).astype(int)
print(classification_report(test_labels, test_predictions, target_names=["neg", "pos"], digits=3, zero_division=0))

# %% [markdown]
# `support` is the number of test reviews of each class; *macro avg* averages the two classes equally, *weighted avg* by support.
#
# ### Calibration: can we believe the probabilities?
#
# A model says "positive, p = 0.9". Of all the reviews it says that about, are about 90% positive? If so it is **calibrated**, and its probabilities can be used for decisions (send the unsure 10% to a human). A **reliability diagram** bins the predictions by probability and plots, per bin, the share that really are positive against the mean predicted probability; a calibrated model sits on the diagonal. The **expected calibration error** (ECE) is the average gap, weighted by how many predictions fall in each bin:
#
# $$\mathrm{ECE} = \sum_{b} \frac{n_b}{n}\,\bigl|\,\text{share positive}_b - \text{mean probability}_b\,\bigr|$$
#
# This is the ECE of P(pos), the **binary** (positive-class) variant, which matches the reliability diagram. Guo et al. ([2017](https://arxiv.org/abs/1706.04599)) define ECE on the **top label's** confidence, max(p, 1 − p), whose bins differ, so the two numbers differ too: always say which one you report. scikit-learn draws the diagram (`CalibrationDisplay`); it has no ECE, so `course_utils` sums the gaps of the same bins (you write it in Exercise 2).

# %%
from sklearn.calibration import CalibrationDisplay

from course_utils.finetune import expected_calibration_error

ece = expected_calibration_error(test_probabilities, test_labels, n_bins=10)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
CalibrationDisplay.from_predictions(test_labels, test_probabilities, n_bins=10, ax=left, name="fine-tuned BERT")
left.set(title=f"Reliability diagram (ECE {ece:.3f})")
right.hist(test_probabilities, bins=20, range=(0, 1))
right.set(title="How sure is it?", xlabel="P(pos)", ylabel="test reviews")
plt.tight_layout(); plt.show()
print(f"expected calibration error of P(pos) (binary ECE, 10 bins): {ece:.3f}")
confidence = np.maximum(test_probabilities, 1 - test_probabilities).mean()
accuracy = np.mean(loop_right)
print(f"mean confidence {confidence:.2f}, accuracy {accuracy:.2f}: "
      f"{'over-confident' if confidence > accuracy + 0.01 else 'under-confident' if confidence < accuracy - 0.01 else 'about right'} on average")

# %% [markdown]
# How to read it: a point above the diagonal means the reviews in that bin are positive more often than the model says; below, less often. The histogram (right) shows where the predictions fall; a bin that holds only a handful of reviews makes its point jump about, which is why ECE weights each gap by its bin's size. The last line compares the model's mean confidence with its accuracy: a model that is right less often than it claims to be is *over-confident*. Neural classifiers trained to convergence usually are (Guo et al., [2017](https://arxiv.org/abs/1706.04599)); a short fine-tune like ours can err either way; the standard repair is *temperature scaling*, dividing the logits by one number fitted on the validation set (notebook 04's softmax temperature).
#
# ### Choosing a threshold
#
# We called a review positive when P(pos) > 0.5. That is right when both mistakes cost the same. If a false "positive" costs more (say, quoting a review on a poster), raise the threshold. Choose it on the **validation** set, never on the test set:

# %%
from sklearn.metrics import precision_recall_fscore_support

validation_probabilities, validation_labels = predict(model, encoded["validation"])
thresholds = np.round(np.arange(0.05, 0.96, 0.05), 2)
scores = {"precision": [], "recall": [], "accuracy": []}
for threshold in thresholds:
    predicted = (validation_probabilities > threshold).astype(int)
    precision, recall, _, _ = precision_recall_fscore_support(validation_labels, predicted, average="binary", zero_division=0)
    scores["precision"].append(precision); scores["recall"].append(recall)
    scores["accuracy"].append(np.mean(predicted == validation_labels))
best_accuracy = max(scores["accuracy"])
candidates = [t for t, a in zip(thresholds, scores["accuracy"]) if a == best_accuracy]
threshold = min(candidates, key=lambda t: abs(t - 0.5))      # among the best, the one nearest 0.5
for name, values in scores.items():
    plt.plot(thresholds, values, label=name)
plt.axvline(threshold, color="grey", ls=":", label=f"chosen: {threshold}")
plt.xlabel("threshold on P(pos)"); plt.title("Validation reviews"); plt.legend(); plt.show()
test_accuracy_at_threshold = np.mean((test_probabilities > threshold) == test_labels)
span = f"{candidates[0]}" if len(candidates) == 1 else f"{candidates[0]} to {candidates[-1]}"
print(f"thresholds with the best validation accuracy ({best_accuracy:.2f}): {span}")
print(f"chosen {threshold}; test accuracy there {test_accuracy_at_threshold:.3f} (at 0.5: {np.mean(loop_right):.3f})")
right_at_threshold = (test_probabilities > threshold) == test_labels
only_chosen, only_half = int((right_at_threshold & ~loop_right).sum()), int((loop_right & ~right_at_threshold).sum())
if threshold == 0.5:
    print("the chosen threshold is 0.5 itself: no verdict changes, and there is nothing to test")
elif only_chosen + only_half == 0:
    print(f"no test review changes its verdict between 0.5 and {threshold}: there is no difference to test")
else:
    p_value = binomtest(only_chosen, only_chosen + only_half).pvalue    # McNemar's exact test: a coin toss per changed review
    print(f"right only at {threshold}: {only_chosen} reviews, only at 0.5: {only_half}; McNemar p = {p_value:.2f}: "
          + ("a real difference" if p_value < 0.05 else "no evidence of a difference") + " at the 5% level")

# %% [markdown]
# On `N_VALIDATION` validation reviews one or two reviews can decide which threshold "wins", so the choice is noisy (the thresholds tied for the best are printed above). Is the test accuracy at the chosen threshold really different from the one at 0.5? Both thresholds judge the same reviews, so **McNemar's test** counts only the reviews whose verdict the threshold changed, and asks whether those lean to one side more than chance allows (a binomial test with p = 1/2 per changed review). A large p (above 0.05) means the change is within what chance gives: no evidence that the chosen threshold beats 0.5. A small p means a real difference in either direction; with 25,000 test reviews even a small change can be real. If the chosen threshold is 0.5 itself, nothing changes and there is nothing to test: the cell says which case this run is. The curves show the real trade-off: as the threshold rises, fewer reviews are called positive, so recall can only fall, while precision usually rises (not always: on a few validation reviews it can wobble). Where the two mistakes cost differently, the threshold is a business decision, not a modelling one; where you need a good threshold, you need more validation data.
#
# ### Accuracy by review length
#
# Long reviews are cut to their head and tail. Does the model do worse on them? Split the test reviews into four equal groups by length in words:

# %%
words = np.array([len(text.split()) for text in test_reviews["text"]])
edges = np.quantile(words, [0, 0.25, 0.5, 0.75, 1.0]).round().astype(int)
groups = np.clip(np.searchsorted(edges[1:-1], words, side="right"), 0, 3)
names = [f"{edges[i]}-{edges[i + 1]}" for i in range(4)]
bars = [binomtest(int(loop_right[groups == g].sum()), int((groups == g).sum())) for g in range(4)]
accuracy_by_group = [loop_right[groups == g].mean() for g in range(4)]
intervals = [bar.proportion_ci(0.95) for bar in bars]
plt.bar(names, accuracy_by_group, yerr=[[a - i.low for a, i in zip(accuracy_by_group, intervals)],
                                        [i.high - a for a, i in zip(accuracy_by_group, intervals)]], capsize=4)
plt.ylim(0.3, 1.0); plt.xlabel("words per review"); plt.ylabel("test accuracy (95% interval)")
was_cut = [len(ids) > MAX_LENGTH for ids in tokenizer(list(test_reviews["text"]), truncation=True, max_length=MAX_LENGTH + 1)["input_ids"]]
plt.title(f"Longer than {MAX_LENGTH} tokens: {np.mean(was_cut):.0%} of test reviews, cut to head and tail")
plt.show()
for name, group_accuracy, count, ci in zip(names, accuracy_by_group, np.bincount(groups, minlength=4), intervals):
    print(f"{name:>9} words: accuracy {group_accuracy:.3f} on {count} reviews (95% interval {ci.low:.2f} to {ci.high:.2f})")
half_width = max((ci.high - ci.low) / 2 for ci in intervals)
print(f"each bar is uncertain by up to ±{half_width * 100:.0f} points")

# %% [markdown]
# Each bar holds about a quarter of the test reviews (the counts are printed), so each is uncertain by the width the cell prints: read any difference smaller than that as noise (with a few hundred test reviews, that is most differences; with 25,000, a few points are real). Where a gap is larger than the bars' intervals, it is worth asking what the model saw.

# %% [markdown]
# ### Error analysis
#
# Finally, read the mistakes, to decide what to try next. That is a choice, so we read them on the **validation** reviews: the test reviews must stay out of every choice, or their accuracy stops being an honest report. For each of the `N_MISTAKES_SHOWN` most confident mistakes: the truth, the prediction and its probability, the length, and the part of the review the model actually saw (decoded back from the tokens; in a review too long for `MAX_LENGTH`, `[...]` marks where the middle was cut away between the head and the tail):

# %%
validation_right = (validation_probabilities > 0.5) == validation_labels
mistakes = np.flatnonzero(~validation_right)
most_confident = mistakes[np.argsort(-np.abs(validation_probabilities[mistakes] - 0.5), kind="stable")][:N_MISTAKES_SHOWN]
print(f"{len(mistakes)} mistakes out of {len(validation_labels)} validation reviews; the {len(most_confident)} most confident:\n")
for index in most_confident:
    text = validation_reviews[int(index)]["text"]
    ids = encoded["validation"][int(index)]["input_ids"][1:-1]                  # without [CLS] and [SEP]
    cut = len(tokenizer(text, truncation=True, max_length=MAX_LENGTH + 1)["input_ids"]) > MAX_LENGTH
    seen = f"{tokenizer.decode(ids[:HEAD])} [...] {tokenizer.decode(ids[HEAD:])}" if cut else tokenizer.decode(ids)
    print(f"true {['neg', 'pos'][validation_labels[index]]}, P(pos) = {validation_probabilities[index]:.2f}, "
          f"{len(text.split())} words, {lengths['validation'][index]} tokens kept")
    print(f"  seen: {seen}\n")

# %% [markdown]
# Read them before you explain them. A story that fits one mistake ("the opener sounded damning", "the verdict was cut away") is worth believing only if it holds across many, and if reviews *without* that feature are classified better: check a story against the correct predictions too before you act on it. One thing the decoded text does show wherever a review has a line break: `<br />` reaches the model as tokens (`< br / >`), so cleaning it away before tokenizing would free those tokens for text.
#
# *Try it:* print all of them (raise `N_MISTAKES_SHOWN`), and for each decide which kind it is: **a misleading opener**, **the verdict cut away** (the opinion sits in the middle of a long review), **mixed opinions** (praise and criticism, the label following the overall rating), **sarcasm or negation**, or **a wrong label**. Counting the kinds tells you what to try: a different `HEAD`, a longer `MAX_LENGTH`, more data of one kind, or cleaner labels; then judge the change on validation reviews, and the finished model once on the test reviews.
#
# ## 4 · Speed: what helps on a CPU, measured
#
# Training time is, roughly, *tokens processed × cost per token*. Every trick below attacks one of the two. We measure each here, on this machine, rather than trusting folklore.
#
# **Padding and grouping** change the tokens. Their cost is best seen as the time of one training step (forward, backward, AdamW) of a batch of 16 reviews against its padded width. We measure that at a few widths (the 512-wide step as 4 micro-batches of 4 reviews and one optimizer step: gradient accumulation, below, the same update with a quarter of the activation memory), each the fastest of three rounds (a slow spell of the machine then spoils one round, not the line), then add up each strategy's batches of the full epoch:

# %%
speed_model = fresh_model()
speed_optimizer = torch.optim.AdamW(parameter_groups(speed_model, 0.01), lr=1e-5)


half = config.autocast_dtype or torch.bfloat16      # what autocast would use here: bf16 on a CPU, fp16 on a T4
half_name = "fp16" if half == torch.float16 else "bf16"


def step_seconds(batches, autocast=False):
    """Wall time of one training step per batch (forward, backward, AdamW), summed over `batches`."""
    start = time.perf_counter()
    for batch in batches:
        with torch.autocast(config.device, dtype=half, enabled=autocast):
            loss = speed_model(**batch).loss / len(batches)
        loss.backward()
    speed_optimizer.step()
    speed_optimizer.zero_grad()
    if config.device == "cuda":
        torch.cuda.synchronize()                     # a GPU works asynchronously: wait before reading the clock
    elif config.device == "mps":
        torch.mps.synchronize()                      # so does an Apple-silicon GPU
    return time.perf_counter() - start


def batch_of(size, width):
    """`size` training reviews cut to head and tail and padded to `width` tokens."""
    rows = tokenize_reviews(train_reviews.select(range(size)), tokenizer, width, min(HEAD, width - 3))
    return DataCollatorWithPadding(tokenizer, padding="max_length", max_length=width)(
        [{"input_ids": r["input_ids"], "attention_mask": r["attention_mask"], "label": r["label"]} for r in rows]).to(config.device)


def in_parts(batch, parts):
    """`batch` as `parts` equal micro-batches: one step over them is the same update (gradient accumulation, below)."""
    size = len(batch["labels"]) // parts
    return [{key: value[i:i + size] for key, value in batch.items()} for i in range(0, len(batch["labels"]), size)]


def step_at_width(width):
    """One training step of BATCH_SIZE reviews padded to `width`; 512 wide as 4 micro-batches (a quarter of the memory)."""
    return step_seconds([batch_of(BATCH_SIZE, width)] if width < 512 else in_parts(batch_of(BATCH_SIZE, width), 4))


step_seconds([batch_of(BATCH_SIZE, 32)])                       # a first (short) step warms up
widths = [32, 64, 128, 256, 512]
rounds = [[step_at_width(w) for w in widths] for _ in range(3)]   # every width in turn, three times:
seconds_at_width = [min(times) for times in zip(*rounds)]         # the fastest of each (a slow spell hits one round)

# %% [markdown]
# Now each strategy's epoch: the widths of all its batches (exactly, from the token counts) and the measured step time at each width (interpolated between the measured widths):

# %%
from course_utils.finetune import padded_tokens

long_lengths = list(tokenize_reviews(train_reviews, tokenizer, 512, 128)["length"])   # the same reviews, cut at 512 instead
shuffled = torch.randperm(len(long_lengths), generator=torch.Generator().manual_seed(config.seed)).tolist()


def epoch(batch_lengths, pad_to=None):
    """Tokens and estimated seconds of one epoch of batches of BATCH_SIZE, in this order."""
    batches = [batch_lengths[i:i + BATCH_SIZE] for i in range(0, len(batch_lengths), BATCH_SIZE)]
    seconds = sum(np.interp(pad_to or max(b), widths, seconds_at_width) * len(b) / BATCH_SIZE for b in batches)
    return padded_tokens(batch_lengths, BATCH_SIZE, pad_to), seconds


padding = {
    "512, pad to 512 (the seed code)": epoch(long_lengths, pad_to=512),
    "512, dynamic padding": epoch([long_lengths[i] for i in shuffled]),
    "512, dynamic, grouped by length": epoch(sorted(long_lengths)),
    f"{MAX_LENGTH} head+tail, pad to {MAX_LENGTH}": epoch(lengths["train"], pad_to=MAX_LENGTH),
    f"{MAX_LENGTH} head+tail, dynamic (this loop)": epoch([lengths["train"][i] for i in shuffled]),
    f"{MAX_LENGTH} head+tail, dynamic, grouped": epoch(sorted(lengths["train"])),
}
for name, (tokens, _) in padding.items():
    print(f"{name:>37}: {tokens:>8,} tokens per epoch")
tokens = {name: count for name, (count, _) in padding.items()}
assert tokens["512, dynamic padding"] > 0.9 * tokens["512, pad to 512 (the seed code)"]      # the claims below:
assert tokens["512, dynamic, grouped by length"] < 0.8 * tokens["512, dynamic padding"]        # grouping is what pays
if MAX_LENGTH < 512:   # a short window: almost every review fills it, so grouping has little left to remove
    assert tokens[f"{MAX_LENGTH} head+tail, dynamic, grouped"] > 0.9 * tokens[f"{MAX_LENGTH} head+tail, pad to {MAX_LENGTH}"]

# %% [markdown]
# At 512 tokens, dynamic padding alone saves little on these reviews: enough of them are longer than 512 (07 printed the share) that almost every random batch of 16 holds one and is padded to 512 anyway. **Grouping by length** is what pays, because it puts the long reviews together. At the quick profile's `MAX_LENGTH` (64 tokens), almost every review fills the window and neither trick has much left to remove (the cell checks that grouping saves under 10% there): the big saving was choosing to read 64 tokens (head and tail) instead of 512.
#
# **The other tricks** change the cost per token. Each is measured as one training step on the same 16 reviews at `MAX_LENGTH` tokens (this notebook's loop), against the plain step. They take turns (plain, each trick, plain, each trick, ...) and the fastest of each counts: a laptop or a shared machine has slow spells, and taking turns spreads a slow spell over every side rather than one of them.
#
# - **freezing the lower layers**: no gradients for the embeddings and the lower half of the layers (3 of the quick profile's 6), so backward stops halfway;
# - **gradient accumulation**: 4 micro-batches of 4, one optimizer step: the same update as a batch of 16 with a quarter of the activation memory;
# - **bf16 autocast**: matrix products in 16-bit brain floats;
# - **`torch.compile`**: PyTorch traces the encoder layers (all but the first, below) and generates fused kernels for them (the first step pays for compiling);
# - **threads**: 1 instead of the number `setup()` chose (one per logical core, up to 8: the first line of the notebook prints it).

# %%
from course_utils.finetune import freeze_lower_layers

batch = batch_of(BATCH_SIZE, MAX_LENGTH)                      # as this notebook's loop trains
quarters = in_parts(batch, 4)


def in_turns(tricks, plain=lambda: step_seconds([batch]), turns=3):
    """For each of `tricks` (name: a timed step), its fastest step over the fastest plain one, timed in turns (see above)."""
    without, with_trick = [], {name: [] for name in tricks}
    for _ in range(turns):
        without.append(plain())
        for name, trick in tricks.items():
            with_trick[name].append(trick())
    return {name: min(seconds) / min(without) for name, seconds in with_trick.items()}


def frozen_step():
    was_trainable = {name: p.requires_grad for name, p in speed_model.named_parameters()}
    freeze_lower_layers(speed_model, len(speed_model.base_model.encoder.layer) // 2)   # the embeddings, the lower half
    seconds = step_seconds([batch])
    for name, parameter in speed_model.named_parameters():
        parameter.requires_grad_(was_trainable[name])        # back as before
    return seconds


def one_thread_step():
    torch.set_num_threads(1)
    seconds = step_seconds([batch])
    torch.set_num_threads(threads)                           # back to all of them
    return seconds


threads = torch.get_num_threads()
relative = in_turns({
    "freeze embeddings + lower half": frozen_step,
    "gradient accumulation, 4 x 4": lambda: step_seconds(quarters),
    f"1 thread instead of {threads}": one_thread_step,
})
relative |= in_turns({f"{half_name} autocast": lambda: step_seconds(quarters[:1], autocast=True)},   # on 4 reviews:
                     plain=lambda: step_seconds(quarters[:1]), turns=1)                               # it can be slow

# %% [markdown]
# Activation memory, the part that grows with the batch, counted exactly (`course_utils.finetune.saved_activation_bytes` adds up the tensors autograd keeps for the backward pass). The weights, their gradients and AdamW's two averages do not depend on the batch:

# %%
from course_utils.finetune import saved_activation_bytes

trainable = sum(p.numel() for p in speed_model.parameters() if p.requires_grad)
total = sum(p.numel() for p in speed_model.parameters())
print(f"weights {total * 4 / 2**20:.0f} MB; gradients + AdamW state of the trainable {trainable / 1e6:.1f} M: {trainable * 12 / 2**20:.0f} MB")
speed_model.train()
for size in (16, 8, 4):
    print(f"activations for a batch of {size:>2} at 128 tokens: {saved_activation_bytes(speed_model, batch_of(size, 128)) / 2**20:5.0f} MB")

# %% [markdown]
# `torch.compile` needs a C++ compiler on a CPU (it generates C++ and compiles it); where there is none, it is reported and skipped. Compiling takes a while, once. A BERT is a stack of identical encoder layers (6 in the quick profile's MiniLM, 12 in bert-base), so we compile the layer rather than the whole model (*regional compilation*, from [PyTorch's recipes](https://docs.pytorch.org/tutorials/recipes/regional_compilation.html)): PyTorch generates code for a layer and reuses it for the layers after it, instead of compiling one long graph. We leave the first layer out: in the quick profile its input comes from the frozen embeddings and needs no gradient, so its backward pass differs from the others' and would need a graph (and a compile) of its own. The cell counts the graphs it compiled (one for all the others, checked), and the figure below gives the time compiling took:

# %%
import warnings

from torch._dynamo.utils import counters                # what the compiler did: how many graphs it made
from torch._inductor.async_compile import shutdown_compile_workers

from course_utils.session import release_memory

# On Python 3.13.0 exactly, PyTorch warns that its compiled code's guards "may run slower" (fixed in 3.13.1):
# a note about speed, not a problem; hidden so the output is the same on every Python.
warnings.filterwarnings("ignore", message="Guards may run slower on Python 3.13.0", category=RuntimeWarning)

layers = speed_model.base_model.encoder.layer


def eager_step():
    with torch.compiler.set_stance("force_eager"):      # the same layers run as before compiling: the plain step
        return step_seconds([batch])


try:
    for layer in layers[1:]:                            # all but the first (see above)
        layer.compile()                                  # in place: compiled at its first call
    start = time.perf_counter()
    step_seconds([batch])
    compile_seconds = time.perf_counter() - start
    relative |= in_turns({"torch.compile": lambda: step_seconds([batch])}, plain=eager_step)
    shutdown_compile_workers()                         # its pool of compiler processes (~300 MB each) is done
    compiled_graphs = counters["stats"]["unique_graphs"]
    print(f"torch.compile: {compiled_graphs} graph(s) compiled for layers 2 to {len(layers)}, and measured")
except Exception as error:                             # no compiler, or a platform torch.compile does not support
    compile_seconds = None
    print(f"torch.compile is not available here ({type(error).__name__}); skipped")
if compile_seconds:
    assert compiled_graphs == 1                        # the claim above: one graph, reused by every compiled layer

del speed_model, speed_optimizer, layers               # free their memory: the rest of the notebook does not need them
release_memory()                                       # ... and give it back to the operating system (see its docstring)

# %% [markdown]
# Everything on one figure: the measured step time against the width (left, with the straight line a cost proportional to the width would follow), and the estimated epoch for each strategy and trick (right, the tricks relative to this loop's recipe). Below it, the cell checks the claims of the table that follows for this CPU:

# %%
import platform

import matplotlib.ticker
import psutil

from course_utils.finetune import bert_flops

recipe = padding[f"{MAX_LENGTH} head+tail, dynamic (this loop)"][1]
rows = {name: seconds for name, (_, seconds) in padding.items()}
rows.update({name: recipe * ratio for name, ratio in relative.items()})
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 2]})
left.plot(widths, seconds_at_width, "o-", label="measured")
per_token = seconds_at_width[widths.index(128)] / 128
left.plot(widths, [per_token * w for w in widths], "--", color="grey", label="proportional to the width")
left.set(xlabel="padded width (tokens)", ylabel="seconds per step of 16 reviews", title="One training step, measured")
left.legend(fontsize=8)
names = list(rows)[::-1]


def versus_recipe(seconds):
    ratio = recipe / seconds
    return f"{ratio:.1f}x faster" if ratio > 1.05 else f"{1 / ratio:.1f}x slower" if ratio < 0.95 else "the same"


bars = right.barh(names, [rows[n] for n in names], color=["C0" if n in padding else "C1" for n in names])
right.bar_label(bars, labels=[f"{rows[n]:.0f} s, {versus_recipe(rows[n])}" for n in names], padding=3, fontsize=8)
right.set_xscale("log")
right.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
right.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
right.set(xlim=(min(rows.values()) / 2, max(rows.values()) * 6), xlabel="seconds per epoch of the training reviews (log scale)",
          title=f"Epoch time on this {config.device.upper()} ({threads} threads, {torch.backends.cpu.get_cpu_capability()}), against this loop")
if compile_seconds:
    right.text(0.99, 0.02, f"compiling took {compile_seconds:.0f} s once", transform=right.transAxes, ha="right", fontsize=8)
plt.tight_layout(); plt.show()

# A timing claim needs steps with enough arithmetic to time: a toy model's step (a few million operations) measures
# Python's overhead, not the model. Every BERT the course fine-tunes does tens of billions per step, even at 32 tokens.
measurable = bert_flops(model.config, [widths[0]], batch_size=BATCH_SIZE)["total"] > 1e10
# A second thread helps only where it has a core of its own: two hardware threads of one core (a hyper-threaded
# 2-vCPU cloud machine) share that core's arithmetic units. So that claim is checked where every logical core is
# a physical one (psutil counts both; None where it cannot tell) and this process may use more than one.
usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else psutil.cpu_count()
own_cores = psutil.cpu_count(logical=False) == psutil.cpu_count() and min(threads, usable) > 1
if not measurable:
    print("skipped: the timing claims of the CPU column (a step of this model is too little arithmetic to time)")
elif config.device != "cpu":
    print("the CPU column's claims are checked on a CPU only")
if config.device == "cpu" and measurable:                       # the claims of the table below (CPU column)
    cost_per_token = [seconds / width for seconds, width in zip(seconds_at_width, widths)]
    assert max(cost_per_token[1:]) < 2 * min(cost_per_token[1:])  # close to linear in the width, from 64 tokens up
    if MAX_LENGTH < 512:
        assert recipe < 0.5 * min(seconds for name, seconds in rows.items() if name.startswith("512"))  # fewer tokens: by far
    assert relative["freeze embeddings + lower half"] < 0.9      # freezing: faster
    assert relative["gradient accumulation, 4 x 4"] > 0.8            # accumulation: not faster (beyond noise)
    if own_cores:
        assert relative[f"1 thread instead of {threads}"] > 1.2      # fewer threads: slower (each had a core)
    if torch.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2") and platform.machine() in ("x86_64", "AMD64"):
        assert relative[f"{half_name} autocast"] > 1.5               # bf16 without bf16 instructions: much slower
    if compile_seconds and threads <= 2:
        assert relative["torch.compile"] > 0.8                       # torch.compile: no real gain on 2 cores

# %% [markdown]
# What the numbers say, on a CPU and on a GPU:
#
# | Trick | On this CPU | On a GPU |
# |---|---|---|
# | Read fewer tokens (head + tail instead of 512) | the biggest win by far: the step time grows nearly in proportion to the width (left) | the same: up to 512 tokens the $T \times T$ attention scores are a small share of the work (07 computed it), so the cost is close to proportional to the tokens |
# | Dynamic padding, grouping by length | large at 512 with grouping; little at 64, where reviews fill the window | the same arithmetic |
# | Freezing lower layers | faster (backward stops early); may cost some accuracy | the same |
# | Gradient accumulation | no faster, often a little slower (smaller matrix products); a quarter of the activation memory | how large effective batches fit on a small GPU |
# | 16-bit autocast | bf16 depends on the CPU (the figure's title names what this one offers): **much slower** on CPUs without bf16 instructions (most laptops, AVX2 only), faster only on CPUs with AMX or AVX-512 BF16 | the first thing to switch on: often about 2x faster, and half the activation memory. bf16 (`bf16=True`) on GPUs with bf16 units (A100, H100, L4, RTX 30xx and later); Colab's free T4 has none, so there fp16 with loss scaling (`fp16=True`). `config.mixed_precision` picks the right one |
# | `torch.compile` | no gain at this size on a 2-core laptop, often slower (short sequences leave little to fuse); costs compile time once | faster on average: over 163 models on an A100, PyTorch measured training 1.2x faster in fp32 and 1.5x with mixed precision ([PyTorch 2.0](https://pytorch.org/get-started/pytorch-2.0/)); costs compile time once |
# | Threads | one thread is slower than several where each thread has a core of its own; two hardware threads of one core (hyper-threading, common on small cloud machines) share its arithmetic and gain little. PyTorch's own default is one per physical core; `setup()` uses one per logical core, up to 8 (`COURSE_THREADS` sets another number): on a CPU with two hardware threads per core, time both | irrelevant to the model; give the `DataLoader` workers instead |
#
# The claims of the CPU column are checked above where they can be measured: on a CPU, with a model whose step has enough arithmetic to time (a toy model's step takes milliseconds and measures Python, not the model: the cell then prints that it skipped them), and the threads claim only where every thread has a core of its own. Speed is half the story: what does each trick cost in **accuracy**? Reading fewer tokens costs some: 07's table shows one model read at 64, 128 and 256 tokens. Dynamic padding and grouping cost nothing (the same reviews, the same tokens, in another order), nor does accumulation (the same update), nor `torch.compile` (the same arithmetic). 16-bit autocast changes the rounding, so the weights take a slightly different path, but with fp32 master weights (and loss scaling for fp16) it reaches the same accuracy (Micikevicius et al., [2018](https://arxiv.org/abs/1710.03740)). Freezing costs what the frozen layers would have learned: section 7 measures it, at the same budget as the full fine-tune.
#
# The honest summary for a laptop: choose what to read (truncation), group by length, freeze what you can afford to, and leave bf16 and `torch.compile` for the GPU.
#
# ## 5 · The same loop with `accelerate`
#
# On a GPU the loop needs `.to(device)` everywhere; on several GPUs it needs a distributed sampler and gradient averaging; with bf16 it needs autocast. `accelerate` does all of that in one place, and the loop stays the same on a laptop, a GPU or eight GPUs. The changes from our loop are marked.
#
# One thing first. accelerate keeps **one configuration per process** (device, processes, mixed precision), set by the first `Accelerator` and kept for good: a script has one. This notebook already made one, inside the Trainer of section 2, in fp32 for the step-by-step match; asking now for bf16 or fp16 (what `config.mixed_precision` says on a GPU) would raise "AcceleratorState has already been initialized". So we clear that state first, as `TrainingArguments` itself does before each Trainer (the method's leading underscore says it is accelerate's own tool; in a script you never need it):

# %%
from accelerate import Accelerator
from accelerate.state import AcceleratorState

AcceleratorState._reset_state(reset_partial_state=True)    # forget the Trainer's fp32 set-up (see above)
accelerator = Accelerator(mixed_precision=config.mixed_precision or "no")   # NEW: finds the device(s); bf16/fp16 on a GPU
accelerate_model = fresh_model()
optimizer = torch.optim.AdamW(parameter_groups(accelerate_model, 0.01), lr=LEARNING_RATE)
loader = DataLoader(encoded["train"].select(range(64)), batch_size=BATCH_SIZE, shuffle=True, collate_fn=collator)
schedule = get_linear_schedule_with_warmup(optimizer, 1, len(loader))
accelerate_model, optimizer, loader, schedule = accelerator.prepare(accelerate_model, optimizer, loader, schedule)  # NEW

accelerate_model.train()
for batch in loader:                              # batches arrive on the right device already
    loss = accelerate_model(**batch).loss
    accelerator.backward(loss)                    # NEW: instead of loss.backward()
    accelerator.clip_grad_norm_(accelerate_model.parameters(), 1.0)   # NEW: clips across all processes
    optimizer.step(); schedule.step(); optimizer.zero_grad()
summary = f"device {accelerator.device.type}, {accelerator.num_processes} process(es), mixed precision: {accelerator.mixed_precision}"


del accelerator, accelerate_model, optimizer, loader, schedule   # free the memory before DDP starts two more processes
release_memory()                                  # ... and give it back to the operating system (see its docstring)
print(summary)

# %% [markdown]
# Saved as a script, the same code runs on one machine with `python train.py` and on several GPUs with `accelerate launch --num_processes 4 train.py`, unchanged.
#
# ## 6 · Beyond one machine: data parallel with `torchrun`
#
# **Data parallelism** runs one copy of the model per process (per GPU, or per CPU core); each process takes its own share of every batch, and after each backward pass the processes **average their gradients** (an *all-reduce*), so every copy takes the same step and stays identical. PyTorch's `DistributedDataParallel` (DDP) does the averaging, over *gloo* on CPUs and *NCCL* between GPUs; `torchrun` starts the processes and tells each its rank.
#
# The whole fine-tune is written that way in `course_utils/ddp.py` (open it: it is our loop plus a `DistributedSampler`, `init_process_group` and a `DDP` wrapper). From a terminal (`--device cpu`: on a machine with one GPU, the default `--device auto` would send the second process to a GPU that is not there):
#
# ```bash
# torchrun --standalone --nproc-per-node 2 -m course_utils.ddp --device cpu --train-size 64 --out outputs/ddp
# ```
#
# Here we start it from Python. DDP's promise is that every process ends with exactly the same weights; with one process (Colab has one GPU) there is nothing to keep in step and the promise proves nothing. So on every machine, GPU or not, the demonstration runs **two processes on the CPU** (`--device cpu`: gloo, one thread each), with the quick profile's small BERT on 64 reviews. It trains in fp32 with the script's own small settings, not our loop's (the cell prints them): it shows how the processes keep in step, not how well a model learns. It trains only the top 2 of the 6 layers and the head (the freezing trick of section 4), which keeps two more processes small enough to fit beside this one in a laptop's memory. The cell checks three claims: each process reads its own share of the reviews (half each, so the two read all 64 once per epoch), each process trains exactly those numbers, and every process ends with exactly the same weights (compared by a SHA-256 of every number). It prints the loss at each step too, without a claim: 8 steps on batches of 8 reviews are too few and too noisy to show learning (one batch's loss can differ from the next by more than 8 steps move it). On a machine with several GPUs, `--device auto --nproc-per-node N` runs one process per GPU over NCCL instead. On Windows, run it in WSL: PyTorch's distributed launcher targets Linux and macOS.

# %%
import json
import subprocess
import sys

from course_utils.session import MODELS

DDP_MODEL, DDP_PROCESSES, DDP_TRAINED_LAYERS, DDP_REVIEWS = MODELS["quick"], 2, 2, 64
reference = model if MODEL_ID == DDP_MODEL else AutoModelForSequenceClassification.from_pretrained(
    course_utils.model_path(DDP_MODEL, verbose=False), num_labels=2)   # the same architecture, to count what trains
bert = reference.base_model
frozen_layers = len(bert.encoder.layer) - DDP_TRAINED_LAYERS
ddp_folder = config.output_dir / "ddp"
command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(DDP_PROCESSES),
           "-m", "course_utils.ddp", "--device", "cpu", "--model", DDP_MODEL, "--train-size", str(DDP_REVIEWS), "--max-length", "64",
           "--epochs", "2", "--freeze-embeddings", "--freeze-layers", str(frozen_layers), "--out", str(ddp_folder)]
if sys.platform == "win32":
    print("Skipped on Windows: run this notebook in WSL to try torchrun.")
else:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"torchrun failed:\n{done.stderr[-2000:]}")
    ranks = [json.loads((ddp_folder / f"rank{rank}.json").read_text()) for rank in range(DDP_PROCESSES)]
    learning = [*bert.encoder.layer[frozen_layers:], bert.pooler, reference.classifier]   # what should train
    expected = sum(p.numel() for part in learning for p in part.parameters())
    first = ranks[0]
    print(f"{first['world_size']} processes on the {first['device'].upper()} ({first['backend']}), fp32, learning rate "
          f"{first['learning_rate']}, {first['batch_size']} reviews per process per step, {first['steps']} steps")
    for report in ranks:
        print(f"rank {report['rank']}: {report['reviews_per_rank']} reviews per epoch, "
              f"{report['trainable'] / 1e6:.2f} M numbers trained")
    print(f"layers {frozen_layers + 1} to {len(bert.encoder.layer)}, the pooler and the head: {expected / 1e6:.2f} M")
    identical = len({report["weights_sha256"] for report in ranks}) == 1
    print("loss at each step (the mean over the processes):", " ".join(f"{loss:.2f}" for loss in first["losses"]))
    print(f"identical weights on every rank: {identical}")
    assert identical                                  # DDP's promise: the copies stay the same
    assert all(report["trainable"] == expected for report in ranks)   # only the top layers and the head train
    assert sum(report["reviews_per_rank"] for report in ranks) == DDP_REVIEWS   # each its own share: all, once

# %% [markdown]
# On a CPU, DDP cannot beat one process that already uses the same cores: its processes of one thread each share the cores that one process with several threads kept busy, and they add the averaging on top. DDP pays on several GPUs, or several machines: `torchrun --nnodes 2 --nproc-per-node 8 ...` runs the same module on 16 GPUs.
#
# ## 7 · Parameter-efficient fine-tuning: LoRA
#
# Notebook 03 ended with a bet: the *change* fine-tuning makes to a weight matrix, $\Delta W$, is low-rank ([03 · Low rank](03_linear_algebra.ipynb#Low-rank:-compressing-a-real-BERT-weight-matrix)). **LoRA** (Hu et al., [2021](https://arxiv.org/abs/2106.09685)) takes it: freeze every pretrained weight, and learn $\Delta W = BA$ beside some of them, with $B$ of shape $(d, r)$ and $A$ of shape $(r, d)$ for a small rank $r$. $B$ starts at zero, so training starts exactly from the pretrained model. `peft` adds the adapters to the attention's query and value matrices:

# %%
from peft import LoraConfig, TaskType, get_peft_model

lora_config = LoraConfig(task_type=TaskType.SEQ_CLS, r=LORA_RANK, lora_alpha=2 * LORA_RANK, lora_dropout=0.1,
                         target_modules=["query", "value"])   # SEQ_CLS also trains the new classifier head
lora_model = get_peft_model(fresh_model(), lora_config)
lora_model.print_trainable_parameters()

# %% [markdown]
# **Equal budgets.** To compare LoRA with full fine-tuning fairly, give it the same reviews, the same epochs and therefore the same number of steps as our loop, each at its own learning rate (adapters start at zero and need a larger one; `LORA_LEARNING_RATE`). Both rates were set by hand, not tuned on the validation reviews, so this compares the three ways at the same budget, not each at its best: a fair contest would try a few rates for each on the validation reviews. And a third way at the same budget, between the two: full fine-tuning with the embeddings and the lower half of the layers **frozen** (section 4 timed it); this also measures what freezing costs in accuracy. Each keeps its best checkpoint on the validation reviews, as our loop did:

# %%
from course_utils.finetune import freeze_lower_layers

start = time.perf_counter()
lora_curves = train(lora_model, LORA_LEARNING_RATE, checkpoint=config.output_dir / "imdb-lora-best.pt")
lora_seconds = time.perf_counter() - start
frozen_model = fresh_model()
freeze_lower_layers(frozen_model, len(frozen_model.base_model.encoder.layer) // 2)   # the embeddings and the lower half
frozen_curves = train(frozen_model, LEARNING_RATE, checkpoint=config.output_dir / "imdb-frozen-best.pt")

ways = {"full fine-tuning (our loop)": (model, loop_curves), "lower half frozen": (frozen_model, frozen_curves),
        f"LoRA, rank {LORA_RANK}": (lora_model, lora_curves)}
trainable_of = {name: sum(p.numel() for p in way.parameters() if p.requires_grad) for name, (way, _) in ways.items()}
for name, (way, curve) in ways.items():
    right = np.mean((predict(way, encoded["validation"])[0] > 0.5) == validation_labels)
    print(f"{name:>27}: {trainable_of[name] / 1e6:5.2f} M trainable, {len(curve['training loss'][0])} steps, "
          f"validation accuracy of its best checkpoint {right:.2f}")
full_trainable, lora_trainable = trainable_of["full fine-tuning (our loop)"], trainable_of[f"LoRA, rank {LORA_RANK}"]
print(f"LoRA trains {lora_trainable / full_trainable:.2%} of what full fine-tuning trains here; "
      f"the adapters and the head it saves: {lora_trainable * 4 / 1e6:.1f} MB in fp32")
lora_losses = lora_curves["training loss"][1]
third = len(lora_losses) // 3
assert len({len(curve["training loss"][0]) for _, curve in ways.values()}) == 1   # the claims below: the same budget,
assert lora_trainable < 0.01 * full_trainable                                      # under 1% of the numbers,
assert np.mean(lora_losses[-third:]) < np.mean(lora_losses[:third])                # and LoRA's loss falls


# %%
def seconds_per_step(model, batch, repeats=2):
    """Forward and backward pass of one batch (no optimizer step), the fastest of `repeats`."""
    model.train()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(**batch).loss.backward()
        if config.device == "cuda":
            torch.cuda.synchronize()                 # wait for the GPU before reading the clock
        elif config.device == "mps":
            torch.mps.synchronize()
        times.append(time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    model.eval()                                     # as it was: dropout off
    return min(times)


one_batch = {key: value.to(config.device) for key, value in collator([encoded["train"][i] for i in range(BATCH_SIZE)]).items()}
step_seconds_of = {name: seconds_per_step(way, one_batch) for name, (way, _) in ways.items()}
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
left.bar(["full", "half frozen", f"LoRA r={LORA_RANK}"], list(step_seconds_of.values()), color=["C0", "C1", "C2"])
left.set(ylabel="seconds", title=f"One training step of {BATCH_SIZE} reviews, this machine")
curves({"full": loop_curves["validation accuracy"], "half frozen": frozen_curves["validation accuracy"],
        "LoRA": lora_curves["validation accuracy"]}, ylabel="validation accuracy", ax=right)
right.set_ylim(0.4, 1.0)
plt.tight_layout(); plt.show()
if not measurable:   # timing claims need steps with enough arithmetic to time (section 4)
    print("skipped: LoRA's and freezing's step times (a step of this model is too little arithmetic to time)")
else:            # the claims below
    assert step_seconds_of[f"LoRA, rank {LORA_RANK}"] > 0.33 * step_seconds_of["full fine-tuning (our loop)"]   # far from 1%
    assert step_seconds_of["lower half frozen"] < step_seconds_of["full fine-tuning (our loop)"]                # freezing saves time

# %% [markdown]
# Read the three accuracies above as what they are: one run each, on `N_VALIDATION` validation reviews, so uncertain by several points (section 2), and a short run's luck (when it leaves the plateau near chance) weighs on each. All three got the same reviews and the same number of steps. One difference is not the budget: peft's `SEQ_CLS` trains the adapters and the classifier only, so LoRA's head reads `[CLS]` through the pooler exactly as pretrained (for MiniLM, never trained to summarise a text: 07, section 4), while the other two runs train the pooler; `modules_to_save=["pooler"]` would train it too, at about 0.15 M more numbers. Which comes out ahead in a short CPU run says little about which is better. With full-length training Hu et al. match full fine-tuning with LoRA on their benchmarks, and freezing the lower layers usually costs little on a task like sentiment, because the lower layers hold general knowledge of English that a few hundred reviews barely change.
#
# LoRA trains under 1% of the numbers full fine-tuning does here (in the quick profile, full fine-tuning already left the embeddings frozen). It saves less **time** than its size suggests: one step takes more than a third of a full fine-tuning step (left; the cell checks it where steps can be timed, as in section 4, and says when it skips), because the forward and backward passes still run through every layer; what disappears is the weight gradients and AdamW's state for the frozen matrices. Freezing the lower half saves time as well, because the backward pass stops halfway (the cell checks that its step is faster than the full one). LoRA's real gifts are **memory** (the optimizer state of a 7-billion-parameter model is 56 GB; of its rank-8 adapters on the query and value matrices, about 34 MB) and **storage**: what LoRA saves per task is its adapters and the new head (the cell printed their size: a fraction of the base model's), so one base model can serve many tasks. `lora_model.merge_and_unload()` folds $BA$ into $W$ for inference at no extra cost.
#
# ## 8 · Where to go next
#
# **Semantic search.** The sentence encoder in `course_utils` (*all-MiniLM-L6-v2*, pretrained, not fine-tuned) was trained so that texts with similar meaning get similar vectors (notebook 03's cosine similarity). Search the test reviews by meaning, not by words:

# %%
import torch.nn.functional as F

from course_utils.features import pooled_outputs
from course_utils.finetune import classify

searched = test_reviews if N_SEARCHED is None else test_reviews.select(range(min(N_SEARCHED, len(test_reviews))))
searched_labels = np.array(searched["label"])
review_vectors = course_utils.sentence_vectors(searched["text"], max_length=64, device=config.device,
                                               autocast_dtype=config.autocast_dtype)   # a review's opening: enough for its topic
query = "the music was beautiful"
query_vector = course_utils.sentence_vectors([query], max_length=64, device=config.device)
similarity = (review_vectors @ query_vector.T).squeeze(1)      # the vectors are unit length: dot = cosine
# The 4 nearest, rounded and tie-broken by position, so that two near-equal scores keep their order on any CPU.
top = sorted(range(len(similarity)), key=lambda i: (-round(similarity[i].item(), 3), i))[:4]
verdicts = classify([searched[i]["text"] for i in top], model, tokenizer, MAX_LENGTH, HEAD,
                    autocast_dtype=config.autocast_dtype)   # read as in training
print(f"query: {query}\n")
for index, row in zip(top, verdicts):
    text = searched[index]["text"].replace("<br /><br />", " ")
    print(f"similarity {similarity[index]:.2f} · the review's label: {['neg', 'pos'][searched_labels[index]]} · "
          f"fine-tuned model: {['neg', 'pos'][int(row.argmax())]} (p = {row.max():.2f})")
    print(f"  {text[:220]}...\n")
positive = int(searched_labels[top].sum())
print(f"labels of the {len(top)} nearest: {positive} positive, {len(top) - positive} negative")


# %% [markdown]
# Read the matches and judge for yourself how near each is to the query (a similarity of 1 is the same direction, 0 unrelated; the scores are printed). The search ranks reviews by how close their opening is in meaning to the query, and nothing in it knows about opinions: a review can praise the music and pan the film, so the matches' labels can fall either way (the cell counts them). The fine-tuned classifier, not the search, says which side each one takes.
#
# What does fine-tuning do to the space the vectors live in? Take one number: for each searched review, is its nearest other review of the same label? To see what fine-tuning alone does, compare like with like: the **same encoder** (this notebook's model), read the **same way** (head and tail of `MAX_LENGTH` tokens, the pooler's output, which the classifier's head reads), **before and after** fine-tuning. The search's sentence encoder is printed beside them for reference only: it differs in more than fine-tuning (its own training for meaning, the mean of the token vectors, the first 64 tokens; in the full profile, another model).

# %%
def nearest_same_label(vectors, labels):
    """The share of reviews whose nearest other review (by cosine) has the same label."""
    unit = F.normalize(vectors, dim=-1)
    similarity = unit @ unit.T
    similarity.fill_diagonal_(-2.0)                      # not itself
    return float(np.mean(labels[similarity.argmax(dim=1).numpy()] == labels))


def pooler_vectors(encoder):
    """Each searched review as the classifier reads it: head and tail, the pooler's output."""
    return pooled_outputs(searched["text"], max_length=MAX_LENGTH, keep="head_and_tail", head=HEAD, poolings=("pooler",),
                          device=config.device, autocast_dtype=config.autocast_dtype, encoder=(tokenizer, encoder))["pooler"]


pretrained_agreement = nearest_same_label(pooler_vectors(fresh_model().base_model), searched_labels)   # before
fine_tuned_agreement = nearest_same_label(pooler_vectors(model.base_model), searched_labels)          # after
sentence_encoder_agreement = nearest_same_label(review_vectors, searched_labels)
margin = 2 * math.sqrt(0.5 / len(searched_labels))   # two standard errors of a difference of two shares near 0.5
print(f"nearest review has the same label ({len(searched_labels)} reviews; chance about 0.50):")
print(f"  this notebook's encoder, head and tail, pooler: before fine-tuning {pretrained_agreement:.2f}, "
      f"after {fine_tuned_agreement:.2f}")
print(f"  the search's sentence encoder (for reference): {sentence_encoder_agreement:.2f}")
print(f"  noise of a difference between two such shares: about ±{margin:.2f}")
assert fine_tuned_agreement - pretrained_agreement > margin   # the claim below: fine-tuning sorted the space by sentiment

# %% [markdown]
# Fine-tuning reorganised the space: read the same way, the same encoder puts a review next to one of the same opinion more often after fine-tuning than before, by more than that noise (the cell checks), because every step pushed positive and negative reviews apart along the direction the head reads. Only fine-tuning differs between those two numbers. For "find reviews about the music", use a sentence encoder, trained for meaning; for "find reviews that feel like this one", the fine-tuned one. Searching by meaning is the core of many retrieval systems, including the retrieval step of retrieval-augmented generation (RAG): embed the documents once, embed the question, take the nearest. `sentence-transformers` and a vector index (FAISS, or a database with vector search) scale it to millions.
#
# **Where to run bigger things.** [Google Colab](https://colab.research.google.com/) gives a free T4 GPU: open any notebook of this course with its badge, and the full profile runs `bert-base-uncased` on the real IMDb. No GPU has run this course yet (none was lent to its builders), so the time is an estimate from arithmetic, as in 07: this notebook's full-profile passes (our loop, the frozen and LoRA runs at the same budget, the predictions and the searches), from the training reviews' lengths cut at 512 (section 4) in random batches, as training and prediction meet them (the longest review of a batch sets its width: with reviews longer than 512 among them, most batches are 512 wide), scaled to IMDb's sizes, at the share of each GPU's 16-bit peak we assume (`GPU_PEAKS`). A GPU run draws the real times in its figures: compare.

# %%
from transformers import BertConfig

from course_utils.finetune import GPU_PEAKS, bert_flops, gpu_seconds

cut_at_512 = np.minimum(long_lengths, 512)[shuffled]   # the training reviews cut at 512, in a random order (section 4)


def flops_per_review(batch_size, training):
    """bert-base's operations per review, over random batches padded to their longest review (not grouped)."""
    batch_widths = [max(cut_at_512[i:i + batch_size]) for i in range(0, len(cut_at_512), batch_size)]
    return bert_flops(BertConfig(), batch_widths, batch_size=batch_size, training=training)["total"] / (batch_size * len(batch_widths))


trained = 2 * 24_000 * (1 + 2 / 3 + 2 / 3)        # the loop; the frozen and LoRA runs skip about a third of the work each
read = 25_000 + 1_000 * (3 * 3 + 4) + 2 * 5_000   # test; validation at each evaluation and after; searched, before and after
full_flops = trained * flops_per_review(BATCH_SIZE, True) + read * flops_per_review(64, False)   # predict reads 64 at a time
print(f"the full profile of this notebook on a GPU, estimated from arithmetic (no GPU has run it): about {full_flops:.1e} "
      "floating-point operations (plus the DDP demonstration, which runs on the CPU on every machine)")
for gpu, (peak, (low, high)) in GPU_PEAKS.items():
    fast, slow = gpu_seconds(full_flops, gpu)
    print(f"  {gpu:>12}: about {fast / 60:.0f} to {slow / 60:.0f} minutes, at {low:.0%} to {high:.0%} of its "
          f"{peak / 1e12:.0f} TFLOPS 16-bit peak (assumed)")


# %% [markdown]
# **Encoders beside today's LLMs.** BERT is an *encoder*: it reads the whole text at once (attention in both directions) and produces vectors; that makes it small, fast and excellent at classification, search and tagging. GPT-style *decoders* generate text one token at a time (the causal mask of notebook 06) and can classify zero-shot from a prompt, with no training, at tens to hundreds of times the compute per review. The encoder line continues: [ModernBERT](https://huggingface.co/blog/modernbert) (2024) reads 8,192 tokens with a faster attention. For a fixed classification task with a few thousand labelled examples, a fine-tuned encoder is still usually the cheapest accurate answer; when labels are scarce or the task changes weekly, prompt a decoder, and consider distilling its answers into an encoder.
#
# ## Exercises

# %% [markdown]
# ### Exercise 1: no weight decay on biases and LayerNorm
#
# Write `no_decay_groups(model, weight_decay)` returning two AdamW parameter groups: the trainable weight matrices with `weight_decay`, the trainable biases and LayerNorm parameters with `0.0`. Leave out frozen parameters (`requires_grad=False`). Hint: what do biases and LayerNorm parameters have in common that weight matrices do not? Look at `parameter.ndim`.

# %%
def no_decay_groups(model, weight_decay):
    # Your code here: replace this line.
    return [{"params": list(model.parameters()), "weight_decay": weight_decay}]


check("08.param_groups", no_decay_groups)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def no_decay_groups(model, weight_decay):
#     decay, no_decay = [], []
#     for parameter in model.parameters():
#         if parameter.requires_grad:
#             (no_decay if parameter.ndim < 2 else decay).append(parameter)
#     return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
# ```
#
# Pass it to the optimizer as `torch.optim.AdamW(no_decay_groups(model, 0.01), lr=...)`. Matching by name (`"bias" in name or "LayerNorm" in name`) also works for BERT, but breaks on models that name their norms differently.
# </details>

# %% [markdown]
# ### Exercise 2: expected calibration error
#
# Write `expected_calibration_error(probabilities, labels, n_bins)` for a binary classifier: cut $[0, 1]$ into `n_bins` equal bins (a probability of exactly 1.0 goes in the last bin), and sum over the bins that hold any predictions: (share of predictions in the bin) × |share of those that are positive − their mean probability|. Then compare with `course_utils.finetune.expected_calibration_error(test_probabilities, test_labels)`.

# %%
def expected_calibration_error(probabilities, labels, n_bins=10):
    # Your code here: replace this line.
    return 0.0


check("08.ece", expected_calibration_error)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def expected_calibration_error(probabilities, labels, n_bins=10):
#     probabilities, labels = np.asarray(probabilities, dtype=float), np.asarray(labels)
#     bins = np.minimum((probabilities * n_bins).astype(int), n_bins - 1)   # bin of each prediction; 1.0 in the last
#     ece = 0.0
#     for b in np.unique(bins):
#         inside = bins == b
#         ece += inside.mean() * abs(labels[inside].mean() - probabilities[inside].mean())
#     return ece
# ```
#
# `inside.mean()` is the bin's share of all predictions. (A probability exactly on an edge, such as 0.3, can land on either side of it after floating-point rounding; `calibration_curve` places it with `np.searchsorted` on `np.linspace` edges, so ours can differ from it there.)
# </details>

# %% [markdown]
# ### Exercise 3: gradient accumulation
#
# When a batch of 16 does not fit in memory, run it as several micro-batches and take **one** optimizer step. Write `train_step_accumulated(model, optimizer, micro_batches)`: for each micro-batch (a dict to pass as `model(**batch)`), compute the loss, scale it so the summed gradients equal the gradient of the whole batch's mean loss, and call `backward()`; then step the optimizer once and zero the gradients.

# %%
def train_step_accumulated(model, optimizer, micro_batches):
    # Your code here: replace these lines.
    for batch in micro_batches:
        model(**batch).loss.backward()
        optimizer.step()


check("08.accumulation", train_step_accumulated)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def train_step_accumulated(model, optimizer, micro_batches):
#     for batch in micro_batches:
#         loss = model(**batch).loss / len(micro_batches)   # the mean over the whole batch, in parts
#         loss.backward()                                    # gradients add up in .grad
#     optimizer.step()
#     optimizer.zero_grad()
# ```
#
# The division makes the sum of the micro-batch gradients equal the whole batch's mean gradient (for equal-sized micro-batches). In the Trainer it is one argument: `gradient_accumulation_steps=4`.
# </details>

# %% [markdown]
# ## Summary
#
# - The Trainer is a loop you can write: `DataLoader` + collator, AdamW with parameter groups, warm-up and linear decay, clipping, evaluation under `inference_mode` (with autocast on a GPU), the best checkpoint kept. Given the same batches and no dropout, ours takes exactly the Trainer's steps; in ordinary runs the two differ by their random draws, as two seeds do.
# - An accuracy on a few hundred reviews is uncertain by several points (the binomial interval); that is the test sample's noise, and another training run adds its own. Compare two models on the same reviews with McNemar's test.
# - Evaluate beyond accuracy: per-class precision and recall, calibration (reliability diagram, ECE), a threshold chosen on validation data, accuracy by length with each bar's interval, and the mistakes read on validation reviews.
# - On a CPU, speed comes from reading fewer tokens (the cost grows about in proportion), grouping by length and freezing layers; bf16 and `torch.compile` are GPU tools, and can be slower on a laptop. Measure before you believe, and weigh each speed-up against what it costs in accuracy.
# - `accelerate` keeps one loop for every device (one configuration per process); `torchrun` + DDP runs it on many processes with identical weights; at the same budget, full fine-tuning, freezing the lower half and LoRA can be compared fairly, and LoRA trains a fraction of a percent of the numbers for a smaller saving in time.
# - A pretrained sentence encoder searches by topic; fine-tuning reshapes an encoder's space by the task's labels. The fine-tuned classifier, served with its own head-and-tail recipe, says what each match thinks.
#
# **You have finished the course.** Go back to [00 · Welcome](00_welcome.ipynb) to run the environment check on a new machine, or open this notebook in Colab and run the full profile on a GPU.
