# %% [markdown]
# # 01 · Install Miniconda (or Miniforge), safely
#
# **You will choose the right conda distribution for you, install it on Windows, macOS or Linux with commands you can copy, and check that the installer you downloaded is the one that was published.**
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/zero-to-finetune/zero-to-finetune/blob/v0.1.0/notebooks/01_install_miniconda.ipynb)
#
# **Time needed:** about 20 minutes to read, 10 more to install; the code runs in a few seconds.
# **Prerequisites:** [00 · Welcome](00_welcome.ipynb). A terminal (Terminal on macOS and Linux, PowerShell or the Miniconda Prompt on Windows).

# %% [markdown]
# ## Learning objectives
#
# After this notebook you can:
#
# 1. say what breaks without an environment manager, and choose between Miniconda, Miniforge, Anaconda, `venv` + pip, uv and pixi;
# 2. pick the installer for your machine and verify its SHA-256 fingerprint before running it;
# 3. install, set up (`conda init`), verify and uninstall conda on your operating system;
# 4. recognise the errors learners really hit, and fix them.

# %% [markdown]
# ## Setup

# %%
import os, sys

if "google.colab" in sys.modules:  # on Google Colab only: install the course (PyTorch is there already)
    # %pip install --quiet {os.environ.get("COURSE_UTILS_SOURCE", "git+https://github.com/zero-to-finetune/zero-to-finetune@v0.1.0")}
import course_utils

config = course_utils.setup()

# %% [markdown]
# ## Why an environment manager at all?
#
# Without one, every project shares one Python and one set of packages. Then, sooner or later:
#
# - project A needs `torch` 2.4 and project B needs 2.13: installing one breaks the other;
# - `pip install` into the system Python (the one your operating system uses for its own tools) breaks those tools, which is why recent Linux distributions refuse it with `error: externally-managed-environment`;
# - a notebook that worked last month fails today because something was upgraded in between, and nobody can say what.
#
# An **environment** is a folder with its own Python and its own packages. You make one per project, and each can be rebuilt from a file (`environment.yml`, notebook 02).
#
# ### Which one?
#
# The real difference between them: **conda** (Miniconda, Miniforge, Anaconda) and **pixi** install Python itself *and* libraries that are not Python at all (CUDA, compilers, GDAL, ...), from conda packages; **pip** installs Python packages from PyPI into a Python you already have (its wheels carry compiled code too: PyTorch's CPU build is a wheel), and **uv** does pip's and venv's job faster and can also download Python itself.
#
# | | what you get | where packages come from | good for |
# |---|---|---|---|
# | **Miniconda** | conda + Python, nothing else (an installer of about 150 MB that wants about 1 GB free) | Anaconda's `defaults` (under Anaconda's terms of service) | a minimal conda with Anaconda's packages |
# | **Miniforge** | conda + mamba + Python (each installer's size is on its [releases page](https://github.com/conda-forge/miniforge/releases/latest)) | `conda-forge` only (community, free for everyone) | most learners and every organisation; **this course's choice for conda** |
# | **Anaconda Distribution** | conda + ~300 packages + a GUI (several GB) | `defaults` | people who want everything preinstalled |
# | **venv + pip** | comes with Python (needs a Python first) | PyPI | projects whose dependencies all come as wheels, as this course's do: the course's `.venv` is one; Colab uses pip too |
# | **[uv](https://docs.astral.sh/uv/)** | one fast program: `uv venv`, `uv pip install`, project files with a lock file (`uv.lock`), and `uv python install` for Python itself | PyPI | the same projects as venv + pip, much faster; the course's own tests use it to install the lowest versions it supports |
# | **[pixi](https://pixi.sh)** | one program per project: a `pixi.toml`, an automatic lock file for every platform the project lists (`pixi.lock`), no `activate` needed (`pixi run ...`) | conda-forge, plus PyPI | conda packages with a lock file, per project folder |
#
# This course teaches conda because it is what most courses, papers and clusters use, and because it installs what pip cannot; what you learn about environments, channels and lock files carries over to uv and pixi.
#
# **Anaconda's terms of service.** The `defaults` channels (`pkgs/main`, `pkgs/r`, `pkgs/msys2`) are covered by [Anaconda's terms of service](https://www.anaconda.com/legal/terms/terms-of-service), and using them at work may need a paid licence. Whether it does depends on who you are, not only on what you install: read the current terms and check (1) whether you use conda for an organisation, and how large it is (in September 2024 the free use covered individuals, organisations under 200 employees, and teaching in curriculum courses at educational institutions: not every use at a university, as research there was not covered, and Anaconda now runs an *Anaconda for Education* program with registration, see its [academic policy](https://www.anaconda.com/legal/terms/academic-non-profit); such rules have changed before), (2) whether your organisation already holds a licence, and (3) whether your IT department has a policy, or a mirror of its own. When in doubt, use Miniforge, below. Since July 2025, conda refuses to use these channels non-interactively until you accept the terms, failing with `CondaToSNonInteractiveError`. Accept them with `conda tos accept --override-channels --channel https://repo.anaconda.com/pkgs/main` (and the same for `/r` and `/msys2`), or set `CONDA_PLUGINS_AUTO_ACCEPT_TOS=yes` in scripts. [Miniforge](https://github.com/conda-forge/miniforge) uses only `conda-forge`, so none of this applies: that is why the course's `environment.yml` lists `conda-forge` and `nodefaults`.
#
# Two more changes a current course must mention: conda's solver has been the fast `libmamba` one since conda 23.10 (so installing `mamba` for speed is no longer needed), and PyTorch stopped publishing to its own conda channel after 2.5: today it comes from pip wheels or from conda-forge (`pytorch`).

# %% [markdown]
# ## Step 1 · Pick the installer for your machine
#
# Installers exist per operating system and processor. `course_utils.installer` knows the names; it never runs anything unless you ask it explicitly (with `confirm=True`).

# %%
import platform

from course_utils import installer

rows = sorted(installer.FILES.items(), key=lambda item: (item[0][1], item[0][2], item[0][0]))
for (distribution, system, machine), filename in rows:
    print(f"{system:8s} {machine:8s} {distribution:10s} {filename}")

# %% [markdown]
# Intel Macs: Anaconda stopped building Miniconda for `osx-64` on 15 August 2025 (old installers remain in the [archive](https://repo.anaconda.com/archive/)); Miniforge still ships `MacOSX-x86_64`. Windows on ARM: Miniconda's release notes list `win-arm64`, but we have not confirmed the installer's file name, so the course does not guess it.
#
# And here is the one for the machine this notebook runs on. (This cell's output differs from machine to machine, so the course's tests do not compare it; they check it instead.)

# %% tags=["nbval-ignore-output"]
this_machine = installer.pick_installer("miniforge")
print(f"This is {platform.system()} on {installer.normalize_machine(platform.machine())}: download {this_machine.filename}")
print("from", this_machine.url)
assert this_machine.filename in installer.FILES.values() and this_machine.url.endswith("/" + this_machine.filename)

# %% [markdown]
# ## Step 2 · Download and verify
#
# A download can be cut short on bad Wi-Fi, or altered on the way. The publisher lists a **SHA-256 fingerprint** for every installer; if one bit of the file changes, the fingerprint changes completely. Step 3 saves the installer under one short name, `Miniforge3.sh` (Windows: `Miniforge3.exe`); check it before running anything:
#
# - Linux: `sha256sum Miniforge3.sh`
# - macOS: `shasum -a 256 Miniforge3.sh`
# - Windows (PowerShell): `Get-FileHash .\Miniforge3.exe -Algorithm SHA256`
#
# Compare the output with the published value: Miniforge lists a `.sha256` file next to each installer on its [releases page](https://github.com/conda-forge/miniforge/releases/latest) (the one named like the file you downloaded, e.g. `Miniforge3-Linux-x86_64.sh.sha256`); Miniconda lists hashes on its [download index](https://repo.anaconda.com/miniconda/). Renaming a file does not change its fingerprint. (MD5 is not recommended.)
#
# `installer.download` does all of this in one call: it streams the file with a progress bar, gives up with a clear message if the server stalls, and **deletes** a file whose fingerprint is wrong. There is no network here, so we try it on a small fake installer served from a local folder, first intact, then with one byte changed:

# %%
import hashlib
import tempfile
from pathlib import Path

workdir = Path(tempfile.mkdtemp())
(workdir / "server").mkdir()
fake = installer.Installer("miniforge", "Miniforge3.sh", (workdir / "server").as_uri() + "/")
content = b"#!/bin/sh\necho 'pretend to install conda'\n" * 1000
(workdir / "server" / fake.filename).write_bytes(content)
published = hashlib.sha256(content).hexdigest()

saved = installer.download(fake, workdir / "downloads", published, progress=False)
print("verified and kept:", saved.name, f"({saved.stat().st_size:,} bytes)")

# %%
(workdir / "server" / fake.filename).write_bytes(content[:-1] + b"!")   # one byte altered on the way
try:
    installer.download(fake, workdir / "downloads2", published, progress=False)
except course_utils.IntegrityError as problem:
    print("refused:", problem)
print("files left behind:", sorted(p.name for p in (workdir / "downloads2").iterdir()))

# %% [markdown]
# ## Step 3 · Install
#
# First, which installer? `uname -m` (macOS, Linux, WSL) prints the processor: `x86_64` (Intel and AMD) or `arm64`/`aarch64` (Apple silicon, ARM). On an Apple silicon Mac it must print `arm64`: `x86_64` there means the terminal runs under Rosetta (`sysctl -n sysctl.proc_translated` prints `1`), and an Intel conda would run every package translated, slowly; open a native terminal first. **WSL** (Linux inside Windows) is Linux: use the Linux installer in the WSL terminal; it is a separate install from a Windows one.
#
# **Disk space first.** Miniforge itself needs room once installed, and each environment more (the course's, with the CPU build of PyTorch, about 2 GB), and conda keeps a cache of every package it downloaded (`conda clean --all` empties it). Keep about 5 GB free for this course.
#
# Download the installer (or click it on the [Miniforge page](https://github.com/conda-forge/miniforge)), saving it under one short name so that every command below works as printed:
#
# ```bash
# # Linux, WSL and macOS: Miniforge names its files by `uname` and `uname -m` (on a Mac `uname` prints Darwin)
# curl -fL -o Miniforge3.sh "https://github.com/conda-forge/miniforge/releases/latest/download/Miniforge3-$(uname)-$(uname -m).sh"
# ```
# ```powershell
# # Windows (PowerShell): curl.exe (part of Windows 10 1803 and newer) shows its progress and is fast
# curl.exe -fL -o Miniforge3.exe https://github.com/conda-forge/miniforge/releases/latest/download/Miniforge3-Windows-x86_64.exe
# ```
# (`-f` stops on an HTTP error instead of saving the error page, `-L` follows the release's redirect, and curl's progress meter shows that a slow download is still moving. PowerShell's own `Invoke-WebRequest ... -OutFile Miniforge3.exe` works too, but in Windows PowerShell 5.1 drawing its progress bar makes it far slower: run `$ProgressPreference = 'SilentlyContinue'` first.)
#
# ### Installing without questions
#
# Then check its fingerprint (Step 2) and install. The **silent** (unattended) commands are what you use in scripts and workshops; the graphical installers ask the same questions: install for *Just Me* (no administrator rights needed), keep the suggested folder unless its path has spaces, and leave *Add to PATH* and *Register as the default Python* off.
#
# **Linux, WSL and macOS** (the download above picked x86_64, aarch64 or arm64 for you; Intel Macs get Miniforge's `MacOSX-x86_64`):
# ```bash
# bash Miniforge3.sh -b -p "$HOME/miniforge3"    # -b: batch mode, accepts the licence; -p: where
# source "$HOME/miniforge3/bin/activate"
# conda init --all                               # or: conda init bash / zsh / fish
# ```
# (`-u` updates an existing install in place, `-f` installs into a folder that already exists.)
# Miniforge and Miniconda also come as a graphical `.pkg` for macOS (see the Miniforge README's *macOS pkg installers*); from the command line, `installer -pkg FILE.pkg -target CurrentUserHomeDirectory`.
#
# **Windows** (PowerShell, which the rest of the course uses):
# ```powershell
# Start-Process -Wait -FilePath .\Miniforge3.exe -ArgumentList "/InstallationType=JustMe", "/RegisterPython=0", "/S", "/D=$env:USERPROFILE\miniforge3"
# ```
# In the older Command Prompt (cmd.exe) the same is `start /wait "" Miniforge3.exe /InstallationType=JustMe /RegisterPython=0 /S /D=%UserProfile%\miniforge3`. Either way the installer is told where to go by `/D=`, which must be the **last** argument, **unquoted**, and a **full path** (`~` means nothing to it): it reads everything after `/D=` as the folder. That is why the folder may not be put in quotes, and it is a separate matter from spaces: the installer would accept a folder with spaces, but conda packages break there, so if your user folder has a space (`C:\Users\Ada Lovelace`), install to `C:\miniforge3` instead. Leave *Add to PATH* off (`/AddToPath=0`, the default): use the *Miniforge Prompt*, or run `conda init powershell` from it once.
#
# A batch install does not change your shell's start-up files; `conda init` does, and you must then **open a new terminal**. `conda init --reverse --all` undoes it (try `--dry-run` first).
#
# `course_utils.installer.silent_install_command` builds the silent command from a full path (it refuses `~` and relative paths, for the reason above); it never runs it. Here it is for a learner called Ada on each system, written as you would type it: in bash, or through PowerShell's `Start-Process`, with her home folder written as the shell's variable for it (`$HOME`, `$env:USERPROFILE`):

# %%
from pathlib import Path


def saved_as(chosen):
    """The short name Step 3 saves the installer under."""
    return "Miniforge3.exe" if chosen.kind == "exe" else "Miniforge3.sh"


def as_typed(command, home):
    """A command list as you would type it: bash as it is, a Windows installer through PowerShell's
    Start-Process; the home folder `home` written as the shell's variable."""
    if command[0] == "bash":
        return " ".join(command).replace(home, "$HOME")
    program, *arguments = command
    typed = f"Start-Process -Wait -FilePath .\\{program} -ArgumentList " + ", ".join(f'"{a}"' for a in arguments)
    return typed.replace(home, "$env:USERPROFILE")


examples = [("Linux", "x86_64", "/home/ada", "/"), ("Darwin", "arm64", "/Users/ada", "/"),
            ("Windows", "x86_64", "C:\\Users\\ada", "\\")]
for system, machine, home, separator in examples:
    chosen = installer.pick_installer("miniforge", system, machine)
    command = installer.silent_install_command(chosen, saved_as(chosen), home + separator + "miniforge3")
    print(f"{system:8s} {as_typed(command, home)}")

# %% [markdown]
# And for this machine, with your own home folder; again a cell the tests check rather than compare:

# %% tags=["nbval-ignore-output"]
home = str(Path.home())
command = installer.silent_install_command(this_machine, saved_as(this_machine), str(Path(home) / "miniforge3"))
assert command[-1].endswith("miniforge3") and saved_as(this_machine) in command
print(as_typed(command, home))

# %% [markdown]
# ## Step 4 · Verify
#
# In a **new** terminal: `conda --version` prints the version; `conda info` shows where conda lives, its channels and solver; `conda list` lists what is installed in the active environment. This cell asks the same where this notebook can find conda. A JupyterLab that was already running when you installed conda does not see it (it keeps the PATH it started with): close it and start it again from a new terminal. (The output depends on your machine, so the tests do not compare it.)

# %% tags=["nbval-ignore-output"]
from course_utils import envs

conda_version = envs.conda("--version")   # None where conda is not found


# %% [markdown]
# ## After installing: three settings and one habit
#
# - **Do not let `base` start with every terminal.** By default `conda init` activates `base` in each new shell, which hides your system's Python and tempts you to install into `base`. `conda config --set auto_activate false` turns that off (conda older than 25.5 calls it `auto_activate_base`); `conda activate NAME` when you need an environment. A new terminal then has no conda Python at all (on a Mac, `python3` is Apple's 3.9 again, too old for the course), so **activate first, then set the course up or open it**: `conda activate` (base is fine for this: set-up installs nothing into base, it builds the course's own environment), then `python -m course_utils lab`.
# - **Keep conda itself current:** `conda update -n base conda` (the only thing you ever install into `base`). `conda clean --all` removes cached package files you no longer need (often several GB).
# - **Strict channel priority** (recommended by conda-forge): `conda config --set channel_priority strict`. conda's own default is `flexible`; notebook 02 explains the difference.
# - **The habit:** one environment per project, built from an `environment.yml` (notebook 02), and never anything installed into `base`.
#
# **Where these settings live.** `conda config --set` writes them into `.condarc`, a small YAML file in your home folder (`~/.condarc`; on Windows `C:\Users\NAME\.condarc`). It is not the only one: the install folder can have its own (Miniforge's says `channels: [conda-forge]`), and so can an environment, or a company's administrator. conda reads them all and merges them. `conda config --show-sources` lists every file it read and what each one sets; `conda config --show channels` shows the result. When conda uses a channel or setting you did not expect, that is the command to run. A `~/.condarc` after the settings above:
#
# ```yaml
# auto_activate: false
# channel_priority: strict
# ```
#
# (Miniforge's `channels: [conda-forge]` is not in this file but in the install folder's own `.condarc`; on Miniconda, `conda config --add channels conda-forge` would add a `channels:` list here.)

# %% [markdown]
# ## Uninstall
#
# Deleting the install folder deletes **every environment** in it too (they live in its `envs/` folder). First export each one you want to rebuild later: `conda env list` names them, and `conda env export -n NAME --from-history --format environment-yaml --file NAME.yml` writes what you asked for into `NAME.yml` (notebook 02). Then:
#
# 1. `conda init --reverse --all` (removes the lines conda added to your shell start-up files);
# 2. delete the install folder (`rm -rf ~/miniforge3`);
# 3. optionally delete `~/.condarc`, `~/.conda` and `~/.continuum`.
#
# On Windows: *Settings → Apps → Installed apps* (or *Add or Remove Programs*), then delete leftover folders; the uninstaller also accepts `/S`.
#
# ## Troubleshooting: the errors learners really hit
#
# | you see | why | fix |
# |---|---|---|
# | `'conda' is not recognized as an internal or external command, operable program or batch file.` | Windows: conda is not on PATH (by design) | use the Miniforge/Miniconda Prompt, or run `conda init powershell` there once |
# | `... profile.ps1 cannot be loaded because running scripts is disabled on this system` | PowerShell's execution policy | `Set-ExecutionPolicy -Scope CurrentUser RemoteSigned` |
# | `CondaError: Run 'conda init' before 'conda activate'` or `CommandNotFoundError: Your shell has not been properly configured to use 'conda activate'` | the shell was never initialised | `conda init`, then a new terminal; in scripts `eval "$(conda shell.bash hook)"` or `conda run -n ENV ...`; in `.bat` files `CALL conda activate` |
# | `CondaToSNonInteractiveError` | Anaconda's terms not yet accepted | `conda tos accept ...` (above), or use Miniforge |
# | `Solving environment: failed with initial frozen solve. Retrying with flexible solve.` | an old conda with the classic solver | `conda update -n base conda` |
# | `CondaSSLError: OpenSSL appears to be unavailable on this machine` | Windows: conda runs from a shell where its environment is not activated, so its SSL library is not found | open the Miniforge Prompt or `conda activate base` |
# | `CondaHTTPError: HTTP 000 CONNECTION FAILED for url ...` | no connection at all: offline, DNS, a proxy or a firewall | check the connection; behind a proxy see *Proxies* below; in China, a mirror |
# | `[SSL: CERTIFICATE_VERIFY_FAILED]` | a company proxy re-signs HTTPS | `conda config --set ssl_verify truststore` (or a path to your CA bundle) |
# | macOS: *You cannot install Miniconda in this location* | system-wide install selected | choose *Install for me only* |
# | strange failures mid-install on Windows | spaces or special characters in the path | install to a path like `C:\miniforge3` |
#
# **Behind a firewall or in China.** Point conda at a mirror in `~/.condarc` (the [TUNA mirror](https://mirrors.tuna.tsinghua.edu.cn/help/anaconda/) is the usual one) with `default_channels` and `custom_channels` entries, then `conda clean -i`. For Hugging Face models set the variable `HF_ENDPOINT`, with its `https://`, before Python (and Jupyter) starts: `export HF_ENDPOINT=https://hf-mirror.com` (macOS, Linux), `$env:HF_ENDPOINT = "https://hf-mirror.com"` (PowerShell), `set HF_ENDPOINT=https://hf-mirror.com` (cmd and the Miniforge Prompt). In PowerShell, `set` makes a PowerShell variable, not an environment variable, and the mirror is silently ignored. For pip: `pip config set global.index-url https://pypi.tuna.tsinghua.edu.cn/simple`. The README's *Mirrors and proxies* section has the details. **Proxies:** `conda config --set proxy_servers.https http://proxy:8080`; pip and Python read `HTTPS_PROXY`.
#
# Sources: [conda documentation](https://docs.conda.io/projects/conda/en/latest/), [Miniconda installation](https://www.anaconda.com/docs/getting-started/miniconda/install), [Miniforge README](https://github.com/conda-forge/miniforge), [conda-anaconda-tos](https://github.com/anaconda/conda-anaconda-tos), [CVE-2022-26526](https://nvd.nist.gov/vuln/detail/CVE-2022-26526) (why *Add to PATH* is disabled for all-users installs).

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: the silent install command
#
# Write `silent_command(system, filename, prefix)` that returns the unattended install command of Miniconda or Miniforge (their installers take the same options) as a list of strings, for `system` one of `"Linux"`, `"Darwin"` (macOS) or `"Windows"`, as `subprocess.run` would take it: no shell, so no `start /wait` (a built-in of cmd.exe) and no `~`. `prefix` is a full path.

# %%
def silent_command(system, filename, prefix):
    # Your code here: replace this line.
    return ["bash", filename]


from course_utils import check

check("01.silent_command", silent_command)


# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def silent_command(system, filename, prefix):
#     if system == "Windows":
#         return [filename, "/InstallationType=JustMe", "/RegisterPython=0", "/S", f"/D={prefix}"]
#     return ["bash", filename, "-b", "-p", prefix]
# ```
#
# Run as a list, the Windows installer is the program itself, and `subprocess.run` waits for it to finish, which is what `start /wait` does in cmd.exe. On Linux and macOS `-u` (update an existing install) may be added.
# </details>

# %% [markdown]
# ### Exercise 2: your own fingerprint
#
# Write `sha256_of(path)` returning the SHA-256 of a file as lowercase hexadecimal. Read the file in blocks, so that a 150 MB installer does not have to fit in memory at once.

# %%
def sha256_of(path):
    # Your code here: replace this line.
    return ""


check("01.sha256", sha256_of)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# def sha256_of(path):
#     digest = hashlib.sha256()
#     with open(path, "rb") as file:
#         for block in iter(lambda: file.read(1 << 20), b""):
#             digest.update(block)
#     return digest.hexdigest()
# ```
# </details>

# %% [markdown]
# ### Exercise 3: match each error to its fix
#
# Below are seven messages that learners really see. Build the dict `fixes` that maps each message to the **name** of its fix, chosen from `fix_names`. The troubleshooting table above has the reasons; think about what each message says is missing.

# %%
from course_utils.installer import ERROR_MESSAGES, FIX_NAMES

messages = list(ERROR_MESSAGES)   # the seven messages (the checker knows the answers)
fix_names = FIX_NAMES          # name -> what the fix does
for name, what in fix_names.items():
    print(f"{name:16s} {what}")

fixes = {message: "init" for message in messages}   # Your answer here: one fix name per message.

check("01.error_fixes", fixes)

# %% [markdown]
# <details>
# <summary><b>Solution</b> (click to open)</summary>
#
# ```python
# fixes = dict(zip(messages, ["prompt", "execution_policy", "init", "tos", "activate_base", "network", "truststore"]))
# ```
#
# `'conda' is not recognized` means Windows cannot find conda at all (it is not on PATH, by design): use the Miniforge Prompt. `profile.ps1 cannot be loaded` is PowerShell refusing to run conda's start-up script: change the execution policy. `Run 'conda init'` is a shell that was never set up. `CondaToSNonInteractiveError` names the terms of service. An SSL message on Windows (`CondaSSLError: OpenSSL appears to be unavailable`) usually means conda runs outside its activated environment, so it cannot find the SSL library that lives there; `HTTP 000 CONNECTION FAILED` on its own means conda reached no server at all (offline, DNS, a proxy or a firewall). `CERTIFICATE_VERIFY_FAILED` is a proxy that re-signs HTTPS: let conda use the system's certificates.
# </details>

# %% [markdown]
# ## Summary
#
# - An environment manager gives every project its own Python and packages, rebuilt from a file.
# - Miniforge (conda-forge only) avoids Anaconda's terms of service and `CondaToSNonInteractiveError`; Miniconda uses Anaconda's channels. conda and pixi also install Python and non-Python libraries; `venv` + pip (or uv, faster) install PyPI's wheels into a Python you have.
# - Check the processor with `uname -m` (Rosetta and WSL are traps), keep about 5 GB free, download the installer under one name (`-o Miniforge3.sh`), **verify its SHA-256**, install silently with `-b -p FULL_PATH` (Linux, macOS) or `/S /D=FULL_PATH` last (Windows; `Start-Process -Wait` in PowerShell), run `conda init`, open a new terminal (and restart JupyterLab), check with `conda --version` and `conda info`; then turn off `base` auto-activation. `conda config --show-sources` shows which `.condarc` set what.
# - Most install problems are PATH, shell initialisation, proxies or spaces in paths; each has a one-line fix.
#
# **Next:** [02 · Conda environments](02_conda_environments.ipynb).
