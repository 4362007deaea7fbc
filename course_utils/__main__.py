"""Command line: ``python -m course_utils COMMAND``.

  lab                    set up (conda or .venv) and open JupyterLab at notebook 00
  test [PYTEST ARGS]     set up and run the test suite: unit tests, every notebook, the platform comparisons
                         (--e2e: the end-to-end tier instead; --all: both)
  test-lowest            the unit tests with every dependency at its floor (.venv-lowest; several GB)
  lane [NAME ...]        the test command where learners are, on a fresh clone: py3.10, py3.12, py3.13, colab,
                         conda, latest, lowest, e2e ('ci': py3.13 and colab; no name: the list)
  doctor                 check this machine: [OK]/[WARN]/[FAIL] lines, each with its fix
  resolve ID             say where a model or data set id would come from
  regenerate [NB ...]    execute notebooks in place (the only way outputs are made)
  bench [NB ...]         time each notebook fresh, print a table (--write-readme fills README and the guide;
                         --repeat N keeps the fastest of N runs)
  bench --suite          time the test command twice on a fresh clone (--runs 1: the first run only, set-up
                         included; --write-readme fills README)
  images                 redraw every figure in images/
  colab [--check]        write each notebook's Colab badge and setup cell from REPO_URL
  prefetch DIR           gather an offline workshop kit (wheels, models, notebooks, manifest) into DIR
  screenshot             redraw images/jupyterlab.png from a real JupyterLab in headless Chromium
  review-stats           measure the offline reviews (or --dataset ID) next to IMDb and the course's bounds
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("lab", help="set up and open JupyterLab at notebook 00")
    sub.add_parser("test", help="set up and run the test suite (--e2e: the end-to-end tier; --all: both)")
    sub.add_parser("test-lowest", help="the unit tests with every dependency at its lowest allowed version")
    lane = sub.add_parser("lane", help="the test command where learners are (other Pythons, Colab, conda, the newest versions)")
    lane.add_argument("names", nargs="*", metavar="NAME", help="py3.10, py3.12, py3.13, colab, conda, latest, lowest, e2e, or ci")
    sub.add_parser("doctor", help="check this machine")
    resolve = sub.add_parser("resolve", help="where would a model or data set id come from?")
    resolve.add_argument("id")
    resolve.add_argument("--dataset", action="store_true", help="the id is a data set, not a model")
    regen = sub.add_parser("regenerate", help="execute notebooks in place")
    regen.add_argument("notebooks", nargs="*")
    regen.add_argument("--unlocked", action="store_true", help="run even where installed versions differ from the lock")
    sub.add_parser("twins", help="write the text twin (notebooks/text/*.py) of every notebook")
    sub.add_parser("lock", help="write this environment's versions into .ci/lock/requirements.txt")
    bench = sub.add_parser("bench", help="time each notebook fresh")
    bench.add_argument("notebooks", nargs="*")
    bench.add_argument("--write-readme", action="store_true", help="write the tables into README.md and notebooks/instructor_guide.md")
    bench.add_argument("--suite", action="store_true", help="instead: time the test command twice on a fresh clone of HEAD")
    bench.add_argument("--runs", type=int, default=2, choices=range(1, 6), metavar="N",
                       help="with --suite: how many runs in a row (1 to 5; the first includes set-up)")
    bench.add_argument("--repeat", type=int, default=1, metavar="N",
                       help="run each notebook N times and keep the fastest (a shared machine's speed varies)")
    sub.add_parser("images", help="redraw every figure in images/")
    colab = sub.add_parser("colab", help="write each notebook's Colab badge and setup cell from REPO_URL")
    colab.add_argument("--check", action="store_true", help="only report notebooks that disagree; exit 1 if any")
    kit = sub.add_parser("prefetch", help="gather an offline workshop kit into DIR")
    kit.add_argument("dir", type=__import__("pathlib").Path)
    kit.add_argument("--platform", action="append", dest="platforms", metavar="PLATFORM",
                     help="linux-x86_64, linux-aarch64, macos-arm64 or win-amd64 (repeat; default: this machine)")
    kit.add_argument("--python", action="append", dest="pythons", metavar="X.Y",
                     help="the learners' Python version (repeat; default: this Python)")
    kit.add_argument("--installers", action="append", choices=["miniforge", "miniconda"],
                     help="also fetch these conda installers for each platform (repeat)")
    kit.add_argument("--from-installed", action="store_true",
                     help="no package index: take this machine's wheels from what is installed here")
    sub.add_parser("screenshot", help="redraw images/jupyterlab.png from a real JupyterLab in headless Chromium")
    stats = sub.add_parser("review-stats", help="measure the offline reviews next to IMDb and the course's bounds")
    stats.add_argument("--dataset", help="measure this data set instead (e.g. stanfordnlp/imdb from the cache)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("lab", "test"):
        from .tools.bootstrap import run_in_environment  # standard library only: works on a bare Python

        return run_in_environment(argv[0], argv[1:])
    if argv and argv[0] == "test-lowest":
        from .tools.bootstrap import run_lowest  # standard library only

        return run_lowest(argv[1:])
    args = _parser().parse_args(argv)
    from .errors import CourseError

    try:
        return _dispatch(args)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopped (Ctrl-C).", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        print(f"error: the package '{exc.name}' is missing from this Python. "
              "Fix: run `python -m course_utils lab` (sets the course up), or activate the course environment "
              "(`source .venv/bin/activate`, or `conda activate zero-to-finetune`).", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    from .errors import CourseError

    if args.command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main()
    if args.command == "lane":
        from .tools.lanes import run_lanes  # standard library only, like set-up

        return run_lanes(args.names)
    if args.command == "resolve":
        from . import hub
        from .session import quiet_libraries

        quiet_libraries()
        if args.dataset or args.id in hub.OFFLINE_DATASETS:
            hub.load_reviews(args.id)
        else:
            print(hub.resolve_model(args.id).describe())
        return 0
    if args.command == "regenerate":
        from .tools.notebooks import regenerate

        regenerate(args.notebooks, unlocked=args.unlocked)
        return 0
    if args.command == "twins":
        from .tools.notebooks import all_notebooks
        from .tools.twins import write_twin

        for path in all_notebooks():
            print(f"wrote notebooks/text/{write_twin(path).name}")
        return 0
    if args.command == "lock":
        from .tools.bootstrap import LOCK_FILE
        from .tools.lock import write_lock

        write_lock()
        print(f"wrote {LOCK_FILE}: the versions of this environment, which set-up now installs")
        return 0
    if args.command == "bench":
        from .tools.bench import bench, bench_suite

        if args.suite:
            bench_suite(runs=args.runs, write_readme=args.write_readme)
        else:
            bench(args.notebooks, write_readme=args.write_readme, repeats=args.repeat)
        return 0
    if args.command == "images":
        from .tools.images import write_images
        from .session import repo_root

        for path in write_images((repo_root() or __import__("pathlib").Path.cwd()) / "images"):
            print(f"wrote images/{path.name}")
        return 0
    if args.command == "colab":
        from .tools import colab
        from .tools.notebooks import all_notebooks

        if args.check:
            found = [problem for path in all_notebooks() for problem in colab.problems(path)]
            print("\n".join(found) or f"every notebook's badge and setup cell agree with {colab.REPO_URL}")
            return 1 if found else 0
        from .tools.twins import write_twin

        for path in colab.sync(all_notebooks()):
            write_twin(path)
            print(f"wrote {path.name}: run `python -m course_utils regenerate {path.name[:2]}` to refresh its outputs")
        return 0
    if args.command == "prefetch":
        from .tools.prefetch import prefetch

        prefetch(args.dir, args.platforms, args.pythons, args.installers, args.from_installed)
        return 0
    if args.command == "screenshot":
        from .tools.browser import readme_screenshot
        from .session import repo_root

        path = readme_screenshot((repo_root() or __import__("pathlib").Path.cwd()) / "images")  # BrowserUnavailable is a CourseError
        print(f"wrote images/{path.name}")
        return 0
    if args.command == "review-stats":
        from .tools import review_stats

        rows = review_stats.dataset_rows(args.dataset) if args.dataset else review_stats.course_rows()
        print(review_stats.table(rows))
        return 0
    raise CourseError(f"unknown command {args.command!r}. Fix: run `python -m course_utils --help` for the list.")


if __name__ == "__main__":
    sys.exit(main())
