# %% [markdown]
# # 00 · Welcome, and is your machine ready?
#
# **By the end of this notebook your machine has passed the course's environment check, and you know how every other notebook works.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/00_welcome.ipynb)
#
# **Time needed:** about 10 minutes to read; the code runs in under a minute on a CPU laptop.
# **Prerequisites:** none. You can read Python, or are happy to learn as you go.

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. say what the course builds, step by step, from a clean laptop to a fine-tuned BERT classifier;
# 2. open the notebooks in JupyterLab, in Google Colab, or with no network at all;
# 3. read the environment check and fix what it flags;
# 4. load a model and a data set by their Hugging Face Hub names, online or offline;
# 5. solve an exercise and check your answer with `check`.

# %% [markdown]
# ## Setup
#
# Every notebook starts with the same cell. On Google Colab it first installs the course's helper package, `course_utils`; on your own machine it is already installed and the cell does nothing visible except one line.
#
# `course_utils.setup()` seeds every random number generator (so you see the numbers printed here), fixes the number of CPU threads, quiets progress bars and library chatter, sets the course's plotting style, and prints where you are running: the device, the *profile* (`quick` sizes for a CPU, `full` for an NVIDIA GPU with CUDA; an Apple-silicon GPU (MPS) gets `quick`; choose with the `COURSE_PROFILE` environment variable) and whether the Hugging Face Hub is reachable.

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %% [markdown]
# ## Jupyter in two minutes
#
# A notebook is a list of **cells**. Text cells (like this one) explain; **code cells** run Python and show what it printed right below them.
#
# - **Run a cell:** click it and press **Shift+Enter** (runs it and moves to the next one). *Run → Run All Cells* runs the whole notebook from the top.
# - **The kernel** is the Python process that runs your cells and remembers every variable you made. Its name and state are in the top right corner of JupyterLab (a filled circle means busy). If you are unsure what it remembers, or something hangs, use **Kernel → Restart Kernel and Run All Cells**: a clean start, top to bottom, which is how the course checks every notebook.
# - **Order matters:** a cell sees what cells *run before it* created, not what sits above it on the page. The number in `[ ]` left of a cell is the order it ran in.
# - **Which Python?** The kernel must be a recent Python, in the course's environment (see *Three ways to run the notebooks* below). This cell asks the kernel itself:

# %%
from course_utils.envs import in_an_environment

print("Python 3.10 or newer:", sys.version_info >= (3, 10),
      "| in an environment (a venv, or a conda environment other than base):", in_an_environment(sys.prefix, sys.base_prefix))

# %% [markdown]
# On your own machine both answers must be `True`. `False` for the environment means the kernel is some other Python: the system's, or conda's `base` (the environment that holds conda itself, where nothing else belongs). The doctor below names the exact version and says how to switch. In JupyterLab, *Kernel → Change Kernel...* picks another kernel; notebook 02 shows how an environment becomes one.

# %% [markdown]
# ## What this course is
#
# *zero-to-finetune* takes you from a laptop with nothing installed to a BERT model that you fine-tuned yourself to tell positive movie reviews from negative ones. It is for people who can program a little and want to understand, not just run, the code behind today's language models.
#
# Every step is something you run, see and check:
#
# - **Set-up (00-02).** Install Miniconda, manage environments, and check that everything works.
# - **The math (03-05).** Linear algebra, probability and Bayes, gradient descent: each idea computed by hand, drawn, checked against PyTorch, and tied to the model you will fine-tune.
# - **The model (06).** Self-attention from scratch, until your own code reproduces a real BERT layer to five decimal places.
# - **Fine-tuning (07-08).** BERT on movie reviews with the Hugging Face `Trainer`, then the same job as a plain PyTorch loop, with honest evaluation and measured speed-ups.
#
# Everything runs on a CPU laptop in minutes (the `quick` profile), and at full size on an NVIDIA GPU with CUDA (the `full` profile). Here is the map:

# %%
import matplotlib.pyplot as plt
from course_utils.plotting import course_map

course_map()
plt.show()

# %% [markdown]
# ## Three ways to run the notebooks
#
# **1. JupyterLab on your own machine (recommended).** One command sets everything up and opens this notebook:
#
# ```bash
# python3 -m course_utils lab      # Windows: py -m course_utils lab
# ```
#
# It uses **conda** where this terminal can find it (an activated conda, or `conda` on PATH; on Windows run it from the *Miniforge Prompt*, or after `conda init powershell`), and builds the environment described in `environment.yml`; otherwise it makes a **`.venv`** folder inside the course made with Python's own `venv` and pip. Both are real environments; the course needs nothing that only conda has, so a learner without conda is not held back, and one who has it gets the environment notebook 02 teaches. Running the command again skips what is already installed and starts in seconds. On a machine without an NVIDIA GPU it installs the CPU build of PyTorch: hundreds of MB instead of the several GB that the GPU build and its CUDA libraries take. If you install Miniforge *after* a first `.venv` set-up, the command keeps using `.venv` and says so; to move to conda, delete `.venv` (or set `COURSE_USE_CONDA=1`) and run it again.
#
# **2. Google Colab.** Click the *Open in Colab* badge at the top of any notebook. The first code cell installs `course_utils` with pip; Colab already has PyTorch. Colab has no conda, so notebooks 01 and 02 show their conda commands and run the same ideas with `venv` and `pip`.
#
# **3. Offline, for example in a workshop room with bad Wi-Fi.** The notebooks always name the real models and data sets on the Hugging Face Hub (`bert-base-uncased`, `stanfordnlp/imdb`). `course_utils` looks for each one in your local cache first, then asks the Hub (giving up after two seconds), and then falls back to the course's own offline copies: a small pretrained BERT shipped as a pip package, and about 1,770 movie reviews of invented films, written by hand for this course. It prints which source it used, so you always know.
#
# ### Your first run, from nothing
#
# 1. **A Python 3.10 or newer.** Check with `python3 --version` (Windows: `py --version`).
#    - **macOS:** the `python3` that comes with the developer tools is 3.9, too old. Install a current one from [python.org](https://www.python.org/downloads/) (or Miniforge, notebook 01). On an Apple silicon Mac, `uname -m` should print `arm64`; `x86_64` means the terminal runs under Rosetta, and every package is then the slower Intel build.
#    - **Windows:** typing `python` may open the Microsoft Store instead of running Python. Install Python from [python.org](https://www.python.org/downloads/) and use the **`py`** launcher that comes with it (so *Add python.exe to PATH* is optional): `py -m course_utils lab`. If you installed only Miniforge (notebook 01), there is no `py`: open the *Miniforge Prompt* and type `python` wherever this course says `python3` or `py`. Under WSL (Linux inside Windows) follow the Linux steps inside the WSL terminal.
#    - **Debian and Ubuntu:** `sudo apt install python3-venv` first, or creating the `.venv` fails with `ensurepip is not available`.
# 2. **Disk space.** Keep about 5 GB free: the environment with the CPU build of PyTorch takes about 2 GB, conda keeps a cache of every package it downloads (`conda clean --all` empties it), a GPU build of PyTorch adds several GB, and the notebooks want 2 GB for what they save (the doctor below checks that).
# 3. **The course.** `git clone https://github.com/zero-to-finetune/zero-to-finetune`, then `cd zero-to-finetune` (two commands: Windows PowerShell 5.1 does not know `&&`); without git, download the ZIP from the repository page (*Code → Download ZIP*), unzip it, and open a terminal in the unzipped folder. Choose a folder whose path has no spaces if you will use conda.
#    - **Behind a firewall or in China:** set the mirrors *before* this step, so that set-up's downloads go to them. For Hugging Face, set the variable `HF_ENDPOINT` with its `https://` before Jupyter starts: `export HF_ENDPOINT=https://hf-mirror.com` (macOS, Linux), `$env:HF_ENDPOINT = "https://hf-mirror.com"` (PowerShell; there `set` would not make an environment variable), `set HF_ENDPOINT=https://hf-mirror.com` (cmd). For pip: `pip config set global.index-url URL` with your mirror's address, e.g. `https://pypi.tuna.tsinghua.edu.cn/simple`. Proxies and the details are in the README's *Mirrors and proxies* section.
# 4. **The one command** above. If you use conda and turned off `base`'s auto-activation (notebook 01), run `conda activate` first (base is fine: set-up installs nothing into it), then `python -m course_utils lab`. The first run downloads the packages (PyTorch is the largest) and takes a few minutes on a good connection; the test command in the README does the same set-up, then runs the test suite.

# %% [markdown]
# ## The environment check
#
# The same checks run from a terminal with `python -m course_utils doctor`. Each line is `[OK]`, `[WARN]` or `[FAIL]`, and every line that is not OK ends with the fix. A `[WARN]` for the Hub only means you are offline, which the course handles.

# %%
checks = course_utils.run_checks()

# %% [markdown]
# Some lines differ from machine to machine, and that is fine: the versions, and the `torch build` line, which says which PyTorch you have (the CPU build, a CUDA build with its GPU, or Apple's MPS on a Mac). Three lines in the output above need a word:
#
# - `torch build: COURSE_DEVICE=cpu`: the environment variable `COURSE_DEVICE` (`cpu`, `cuda` or `mps`) pins the device the course uses; unset, the course takes the best one it finds (an NVIDIA GPU, then Apple's MPS, then the CPU). The output shown here was made with it set to `cpu`, so it is the same on every machine.
# - `hugging face hub`: whether the Hub, or the mirror named in `HF_ENDPOINT`, answers. It also checks that a mirror's address starts with `https://` and was set before `huggingface_hub` was imported (which is why it must be set before Jupyter starts).
# - `pip index`: which package index pip would use (PyPI, or the mirror you set with `pip config set global.index-url URL`) and whether it answers pip. `not probed (HF_HUB_OFFLINE=1)` means an offline flag is set (as it is for the output shown here), so the doctor does not ask the index: the flag is named after Hugging Face, but the doctor takes it to mean "work offline", and the line then reads the same with or without a mirror.
#
# What matters is the next cell's verdict:

# %%
failures = [c for c in checks if c.status == "FAIL"]
print("Ready for the course!" if not failures else f"Fix the {len(failures)} FAIL line(s) above, then run this cell again.")

# %% [markdown]
# ## Models and data by name
#
# A notebook asks for a model by its Hub id and gets a folder it can load with the usual Hugging Face calls. Each profile names one model (`config.model_id`): on a CPU or an Apple-silicon GPU (the quick profile) *all-MiniLM-L6-v2*, a small 6-layer BERT with exactly `bert-base-uncased`'s vocabulary, which the course also ships as a pip package, so you get the same weights online and offline; on an NVIDIA GPU with CUDA (the full profile) `bert-base-uncased` itself. Weights that come from the pip package are checked against their published SHA-256 fingerprint before use.

# %%
from transformers import AutoTokenizer

MODEL_ID = config.model_id
tokenizer = AutoTokenizer.from_pretrained(course_utils.model_path(MODEL_ID))
print(tokenizer.tokenize("Fine-tuning BERT on a laptop is surprisingly painless!"))

# %% [markdown]
# BERT splits rare words into pieces marked `##`. You will meet tokenizers properly in notebook 07.
#
# The data works the same way: `load_reviews` returns a `DatasetDict` with IMDb's columns (`text`, `label`) and label names (`neg`, `pos`), whichever source served it.

# %%
reviews = course_utils.load_reviews("stanfordnlp/imdb")
reviews

# %%
label_names = reviews["train"].features["label"].names
example = next(row for row in reviews["train"] if "<br />" in row["text"][:300])   # the first with a line break early on
shown = example["text"][:300]
print(label_names[example["label"]], "|", shown, "...")
assert "<br />" in shown
with_breaks = sum("<br />" in text for text in reviews["train"]["text"])
print(f"{with_breaks} of {reviews['train'].num_rows} training reviews contain <br />")
assert with_breaks > reviews["train"].num_rows / 2   # more than half, as in real IMDb

# %% [markdown]
# Notice the `<br />` in the text: an HTML line break. More than half of real IMDb reviews contain one, and so do more than half of the reviews loaded here (the count is printed and checked above). Your first exercise deals with them.
#
# ## How exercises work
#
# Each exercise ends with a call to `check(name, answer)`. It prints `[Correct]`, or `[Not yet]` with what is wrong and a hint. It never crashes on a wrong answer: give it the wrong type and it says so. Here it is judging a deliberately wrong answer to the second exercise below (a text where a function is wanted):

# %%
from course_utils import check

check("00.count_positive", "a few hundred")


# %% [markdown]
# Solutions sit under a **Solution** line that you click to open. Try first: the checker tells you when you are right.
#
# ## Exercises
#
# ### Exercise 1: clean a review
#
# Write `clean_review(text)` that replaces every `<br />` with a space and squeezes runs of white space into single spaces, with none at the start or end. For example `"Great film.<br /><br />Loved it."` becomes `"Great film. Loved it."`.

# %%
def clean_review(text):
    # Your code here: replace this line.
    return text


check("00.clean_review", clean_review)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def clean_review(text):
#     return " ".join(text.replace("<br />", " ").split())
# ```
#
# `str.split()` with no argument splits on any run of white space and drops empty pieces, so joining with `" "` does the squeezing for you.
# </details>

# %% [markdown]
# ### Exercise 2: count the positive reviews
#
# Write `count_positive(split)` that returns how many reviews of a split (such as `reviews["train"]`) are positive. The checker calls it on small splits of its own, so compute the answer from the split you are given (do not type a number you read somewhere).

# %%
def count_positive(split):
    # Your code here: replace this line.
    return 0


check("00.count_positive", count_positive)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def count_positive(split):
#     return sum(split["label"])
# ```
#
# Labels are 0 (`neg`) and 1 (`pos`), so their sum counts the positives. `count_positive(reviews["train"])` gives the number for our training split, which is balanced: half of it.
# </details>

# %% [markdown]
# ## Summary
#
# - The course runs the same way in JupyterLab, on Colab and offline; `python -m course_utils lab` sets it up on your machine.
# - `course_utils.setup()` at the top of every notebook makes runs reproducible and prints where you are running.
# - `python -m course_utils doctor` (or the check above) tells you what to fix, line by line.
# - Models and data are named by their Hub ids; offline, the course serves a verified small BERT and its own reviews.
# - Exercises end with `check(...)`; solutions are one click away, when you want them.
#
# **Next:** [01 · Install Miniconda](01_install_miniconda.ipynb), or jump to [03 · Linear algebra](03_linear_algebra.ipynb) if your environment is ready.
