"""The torchrun fine-tune: 2 processes (gloo on CPU) end with identical weights, and the loss falls."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from course_utils.tools.notebooks import apply_notebook_env


@pytest.mark.full
def test_two_processes_end_identical_and_learn(tmp_path):
    env = apply_notebook_env(dict(os.environ))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               "-m", "course_utils.ddp", "--device", "cpu", "--train-size", "64", "--max-length", "48", "--batch-size", "8",
               "--epochs", "3", "--out", str(tmp_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    reports = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in reports] == [2, 2] and reports[0]["backend"] == "gloo" and reports[0]["device"] == "cpu"
    # the settings 08 prints, so that it says how the script trains (not as its own loop does)
    assert (reports[0]["learning_rate"], reports[0]["batch_size"], reports[0]["precision"], reports[0]["max_length"]) == \
        (2e-4, 8, "fp32", 48)
    assert reports[0]["reviews_per_rank"] == 32, "each process takes half of the 64 reviews"
    assert reports[0]["weights_sha256"] == reports[1]["weights_sha256"], "the ranks' weights drifted apart"
    losses = reports[0]["losses"]
    assert len(losses) == reports[0]["steps"] == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.05, f"the loss did not fall: {losses}"
    assert "2 processes (gloo)" in done.stdout

def test_refuses_to_run_without_torchrun(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    done = subprocess.run([sys.executable, "-m", "course_utils.ddp", "--out", str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "torchrun --standalone --nproc-per-node 2" in done.stderr
    assert "Traceback" not in done.stderr


def test_device_cpu_is_an_option_and_anything_else_is_refused(capsys):
    """08 runs its demonstration on two CPU processes on every machine, a GPU one too (--device cpu)."""
    from course_utils.ddp import parse_args

    assert parse_args(["--out", "x"]).device == "auto" and parse_args(["--out", "x", "--device", "cpu"]).device == "cpu"
    with pytest.raises(SystemExit):
        parse_args(["--out", "x", "--device", "gpu"])
    assert "invalid choice: 'gpu'" in capsys.readouterr().err


def test_freeze_layers_takes_a_count_from_0_up(capsys):
    from course_utils.ddp import parse_args

    assert parse_args(["--out", "x", "--freeze-layers", "4"]).freeze_layers == 4
    with pytest.raises(SystemExit):
        parse_args(["--out", "x", "--freeze-layers", "-1"])
    assert "give a number of layers from 0 up" in capsys.readouterr().err
