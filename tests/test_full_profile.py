"""The full profile (the recipe for a GPU: bert-base-uncased, 512 tokens with a head of 128, batches of
16, every review, two epochs, 16-bit mixed precision) run end to end on the CPU, hiding nothing.

What stands in for what a GPU run has:

* the model: a 2-layer, 32-wide BERT with random weights and bert-base-uncased's vocabulary, in a private
  Hugging Face cache as ``bert-base-uncased`` (and another as the sentence encoder), so that every step is
  cheap while every shape is the full profile's (512 tokens, head 128, batches of 16);
* the data: IMDb laid out as the Hub lays it out, thousands of rows (the course's reviews, repeated), so
  that the asserts whose truth depends on the size of the data (an interval's width, a test of a
  difference, exact equalities over many reviews) meet the sizes they meet on a GPU;
* mixed precision: ``config.mixed_precision`` is set as a GPU sets it (bf16 for 07, as on an A100; fp16
  for 08, as on a T4, so that its loop runs ``GradScaler``), and PyTorch runs both autocasts on the CPU.
  That is also how the accelerate-state failure of issue 37 (an ``Accelerator`` asking for bf16 or fp16
  after a Trainer set up accelerate in fp32) is reproduced here.

Every assert of the notebooks runs, except those named in ``QUALITY_CLAIMS`` below: each is a claim about
what a *trained* model achieves, which a random 2-layer model trained for a few hundred steps cannot
make; each is named with its reason, replaced by a line that says it was skipped, and the test checks
that every named line still exists (so the list cannot go stale). The claims a notebook skips itself, by
an ``if`` that prints why (08's timing claims: a toy model's step is too little arithmetic to time), are
named in ``SKIPPED_BY_THE_NOTEBOOK``, and the test checks that exactly those lines are printed. Any other
failure fails the test.
CUDA itself is not exercised: no GPU was lent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import hub
from course_utils.tools.notebooks import execute, notebooks_dir
from tests.conftest import put_in_cache
from tests.test_online_path import _text

pytestmark = pytest.mark.full  # end to end: CI's full tier, not `test --fast`

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
#: Rows per split of the stand-in IMDb: enough that the full profile's 1,000 validation reviews leave
#: 2,000 to train on, and 2,500 test reviews make a 95% interval narrower than 5 points (25,000 make 0.6).
TRAIN_ROWS, TEST_ROWS = 3000, 2500

#: The asserts the smoke run may skip: {notebook: {the assert's exact line: why a random model cannot hold it}}.
QUALITY_CLAIMS = {
    "07_finetune_with_trainer.ipynb": {},   # its one quality claim (fine-tuning beats the baselines) is asserted on
                                            # the course's own copy only, and these rows are laid out as real IMDb
    "08_training_loop_and_speed.ipynb": {
        "assert np.mean(lora_losses[-third:]) < np.mean(lora_losses[:third])                # and LoRA's loss falls":
            "LoRA's loss falls: adapters on a random 2-layer, 32-wide model need not learn",
        "assert fine_tuned_agreement - pretrained_agreement > margin   # the claim below: fine-tuning sorted the space by sentiment":
            "fine-tuning sorts the encoder's space by sentiment: only a model that learned sentiment does",
    },
}
#: The claims a notebook skips by itself, with the line it prints then: {notebook: {that line}}. 08 times its
#: tricks only where a step has enough arithmetic to time (`measurable`); the tiny model's step does not.
SKIPPED_BY_THE_NOTEBOOK = {
    "07_finetune_with_trainer.ipynb": set(),
    "08_training_loop_and_speed.ipynb": {
        "skipped: the timing claims of the CPU column (a step of this model is too little arithmetic to time)",
        "skipped: LoRA's and freezing's step times (a step of this model is too little arithmetic to time)",
    },
}
#: The mixed precision each notebook is run with (see the module's docstring).
PRECISION = {"07_finetune_with_trainer.ipynb": "bf16", "08_training_loop_and_speed.ipynb": "fp16"}
#: Put right after setup(): the config reports the 16-bit autocast a GPU would (fp32 is all a CPU reports).
FORCE_PRECISION = """\
import course_utils.session  # full-profile smoke test: mixed precision as on a GPU ({precision}), on the CPU
course_utils.session.CourseConfig.mixed_precision = property(lambda self: "{precision}")
print("test: mixed precision forced to", config.mixed_precision)"""


def save_tiny_bert_base(folder: Path) -> None:
    """A 2-layer, 32-wide BERT with random weights and bert-base-uncased's vocabulary and tokenizer
    (MiniLM's files: it uses the same vocabulary), saved as the Hub stores bert-base-uncased."""
    import torch
    from transformers import BertConfig, BertModel

    source = hub.offline_model_folder(hub.MINILM)
    for name in TOKENIZER_FILES:
        shutil.copy2(source / name, folder / name)
    torch.manual_seed(0)
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(folder)


def save_many_reviews_as_imdb(folder: Path) -> None:
    """The course's reviews, each split repeated to TRAIN_ROWS / TEST_ROWS rows (a numbered note added
    to each repeat, so no two rows are equal), laid out as the Hub lays out IMDb."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from course_utils.reviews import read_rows

    (folder / "plain_text").mkdir(parents=True)
    for split, size in (("train", TRAIN_ROWS), ("test", TEST_ROWS)):
        rows = [row for row in read_rows() if row["split"] == split]
        repeated = [rows[i % len(rows)] for i in range(size)]
        texts = [row["text"] + ("" if i < len(rows) else f" (Seen again, {i // len(rows)}.)")
                 for i, row in enumerate(repeated)]
        table = pa.table({"text": texts, "label": [row["label"] for row in repeated]})
        pq.write_table(table, folder / "plain_text" / f"{split}-00000-of-00001.parquet")


@pytest.fixture(scope="module")
def full_profile_cache(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("hf")
    put_in_cache(home / "hub", "bert-base-uncased", save_tiny_bert_base)
    put_in_cache(home / "hub", "sentence-transformers/all-MiniLM-L6-v2", save_tiny_bert_base)
    put_in_cache(home / "hub", "stanfordnlp/imdb", save_many_reviews_as_imdb, kind="dataset")
    return home


def prepared(name: str):  # -> nbformat.NotebookNode
    """The notebook with mixed precision forced after setup() and each named quality claim replaced by a
    line saying it was skipped. Fails if a named claim is not found exactly once."""
    notebook = nbformat.read(notebooks_dir() / name, as_version=4)
    for claim, reason in QUALITY_CLAIMS[name].items():
        cells = [cell for cell in notebook.cells if cell.cell_type == "code" and claim in cell.source.splitlines()]
        assert len(cells) == 1 and cells[0].source.splitlines().count(claim) == 1, \
            f"the named quality claim is not one line of {name} any more: {claim!r}"
        indent = claim[:len(claim) - len(claim.lstrip())]
        cells[0].source = cells[0].source.replace(claim, f"{indent}print({('skipped: ' + reason)!r})")
    setup = next(index for index, cell in enumerate(notebook.cells) if "course_utils.setup()" in cell.source)
    notebook.cells.insert(setup + 1, nbformat.v4.new_code_cell(FORCE_PRECISION.format(precision=PRECISION[name])))
    return notebook


@pytest.mark.parametrize("name", ["07_finetune_with_trainer.ipynb", "08_training_loop_and_speed.ipynb"])
def test_the_full_profile_runs_end_to_end_with_a_tiny_bert(name, full_profile_cache):
    ran = execute(notebooks_dir() / name, write=False, notebook=prepared(name), hf_home=full_profile_cache,
                  env={"COURSE_PROFILE": "full"})   # no allow_errors: any failing cell fails the test
    text = _text(ran)
    assert "profile: full" in text and "bert-base-uncased: local cache" in text and "stanfordnlp/imdb: local cache" in text
    assert f"test: mixed precision forced to {PRECISION[name]}" in text
    if name.startswith("07"):
        assert "train 2000, validation 1000, test 2500" in text   # the full sizes ran
    else:   # the loop's full sizes, and plumbing that holds for any model: DDP's copies agree, the loop matches the Trainer
        assert "'train': 2000, 'validation': 1000, 'test': 2500" in text
        assert "identical weights on every rank: True" in text and "weights agree within 1e-6: True" in text
        assert f"mixed precision: {PRECISION[name]}" in text   # accelerate set up in fp16 after the Trainer's fp32
    printed = "\n".join("".join(out.get("text", "")) for cell in ran.cells for out in cell.get("outputs", [])
                        if out.get("output_type") == "stream")   # not _text: a figure's "<Figure ...>" has no newline
    skipped = {line for line in printed.splitlines() if line.startswith("skipped: ")}
    named = {f"skipped: {reason}" for reason in QUALITY_CLAIMS[name].values()} | SKIPPED_BY_THE_NOTEBOOK[name]
    assert skipped == named, skipped ^ named   # every skipped claim named, and every named one skipped


def test_an_accelerator_after_a_trainer_asks_for_its_own_precision(tmp_path):
    """Issue 37: 08 builds a Trainer in fp32 (its step-by-step match), then `Accelerator(mixed_precision=...)`.
    accelerate keeps one state per process, so on a GPU (bf16 or fp16) that raised "AcceleratorState has
    already been initialized". Reproduced here with bf16 on the CPU, and the notebook's fix shown to work."""
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from datasets import Dataset
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    model = BertForSequenceClassification(BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=32))
    data = Dataset.from_dict({"input_ids": [[1, 2, 3, 4]] * 16, "attention_mask": [[1] * 4] * 16, "label": [0, 1] * 8})
    arguments = TrainingArguments(output_dir=str(tmp_path), num_train_epochs=1, per_device_train_batch_size=8,
                                  report_to="none", save_strategy="no", disable_tqdm=True, use_cpu=True)
    Trainer(model=model, args=arguments, train_dataset=data).train()
    try:
        with pytest.raises(ValueError, match="AcceleratorState has already been initialized"):
            Accelerator(mixed_precision="bf16")
        source = nbformat.read(notebooks_dir() / "08_training_loop_and_speed.ipynb", as_version=4)
        cell = next(c.source for c in source.cells if "accelerator = Accelerator(" in c.source)
        reset = "AcceleratorState._reset_state(reset_partial_state=True)"
        assert reset in cell and cell.index(reset) < cell.index("accelerator = Accelerator(")   # 08's fix, before it
        AcceleratorState._reset_state(reset_partial_state=True)
        accelerator = Accelerator(mixed_precision="bf16")
        assert accelerator.mixed_precision == "bf16"
        with accelerator.autocast():
            assert model(input_ids=torch.tensor([[1, 2, 3]])).logits.dtype == torch.bfloat16
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)   # leave no state to the next test
