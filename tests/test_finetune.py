"""The fine-tuning helpers shared by notebooks 07 and 08 and the torchrun script."""

from __future__ import annotations

import pytest

from course_utils import finetune


def test_head_and_tail_keeps_cls_the_head_the_tail_and_sep():
    ids = [101] + list(range(1, 21)) + [102]  # [CLS] 1..20 [SEP]
    cut = finetune.head_and_tail(ids, max_length=10, head=3)
    assert cut == [101, 1, 2, 3] + [16, 17, 18, 19, 20, 102]
    assert len(cut) == 10 and cut[0] == 101 and cut[-1] == 102
    assert finetune.head_and_tail(ids[:5], max_length=10, head=3) == ids[:5]
    assert finetune.head_and_tail(ids, max_length=10, head=0) == [101] + list(range(13, 21)) + [102]


def test_head_and_tail_refuses_a_length_with_no_room_for_the_tail():
    with pytest.raises(ValueError, match="at least head \\+ 2"):
        finetune.head_and_tail(list(range(50)), max_length=4, head=3)


def test_head_and_tail_with_head_max_length_minus_2_keeps_the_start_only():
    """07's "Try it" sets HEAD = MAX_LENGTH - 2: the start of the review, then [SEP]."""
    ids = [101] + list(range(1, 21)) + [102]
    assert finetune.head_and_tail(ids, max_length=10, head=8) == [101] + list(range(1, 9)) + [102]


def _tiny_classifier(tmp_path, layers: int = 1):
    """A small BERT classifier (1 layer unless told) with the real MiniLM tokenizer, and the tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from course_utils.hub import model_path

    tokenizer = AutoTokenizer.from_pretrained(model_path("bert-base-uncased", verbose=False))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32, num_labels=2, **finetune.label_config())
    import torch

    torch.manual_seed(0)
    return BertForSequenceClassification(config).eval(), tokenizer


def test_classify_reads_head_and_tail_and_keeps_the_order(tmp_path):
    import numpy as np
    import torch

    model, tokenizer = _tiny_classifier(tmp_path)
    texts = ["Short.", "The opening is dull. " + "Plot plot plot. " * 60 + "The ending is wonderful.", "Also short but longer."]
    probabilities = finetune.classify(texts, model, tokenizer, max_length=24, head=6, batch_size=2)
    assert probabilities.shape == (3, 2) and np.allclose(probabilities.sum(axis=1), 1.0)
    # each row is what the model gives that text alone, cut the way training cut it
    for text, row in zip(texts, probabilities):
        ids = finetune.head_and_tail(tokenizer(text)["input_ids"], 24, 6)
        with torch.inference_mode():
            alone = torch.softmax(model(input_ids=torch.tensor([ids])).logits, dim=-1)[0].numpy()
        assert np.allclose(row, alone, atol=1e-5)
    assert model.training is False
    with pytest.raises(TypeError, match="list of texts"):
        finetune.classify("one text", model, tokenizer, 24, 6)


def test_review_classifier_loads_the_recipe_saved_in_config(tmp_path):
    from course_utils.errors import CourseError

    model, tokenizer = _tiny_classifier(tmp_path)
    setattr(model.config, finetune.RECIPE_KEY, {"max_length": 24, "head": 6})
    model.save_pretrained(tmp_path / "saved")
    tokenizer.save_pretrained(tmp_path / "saved")
    loaded = finetune.ReviewClassifier.load(tmp_path / "saved")
    assert (loaded.max_length, loaded.head) == (24, 6)
    results = loaded(["Great.", "Awful."])
    assert [set(r) for r in results] == [{"label", "score"}] * 2 and all(r["label"] in ("neg", "pos") for r in results)
    assert all(0.5 <= r["score"] <= 1 for r in results)

    delattr(model.config, finetune.RECIPE_KEY)
    model.save_pretrained(tmp_path / "no-recipe")
    with pytest.raises(CourseError, match="head_and_tail"):
        finetune.ReviewClassifier.load(tmp_path / "no-recipe")
    with pytest.raises(CourseError, match="no config.json"):
        finetune.ReviewClassifier.load(tmp_path / "nothing-here")


@pytest.mark.parametrize("recipe, message", [
    ({"max_length": 4096, "head": 32}, "reads 2 to 512 tokens"),          # longer than the position table
    ({"max_length": "abc", "head": 32}, "max_length = 'abc'; it must be a whole number"),
    ({"max_length": 64.5, "head": 16}, "it must be a whole number"),
    ({"max_length": True, "head": 16}, "it must be a whole number"),
    ({"max_length": 64, "head": 63}, "the head must be from 0 to max_length - 2 = 62"),
    ({"max_length": 64, "head": -1}, "the head must be from 0"),
    ({"max_length": 64}, "no 'head_and_tail' entry"),
    ("64 tokens", "no 'head_and_tail' entry"),
])
def test_a_saved_recipe_the_model_cannot_read_is_refused_at_load(tmp_path, recipe, message):
    """Issue 40: a recipe with max_length 4096 or "abc" crashed later, deep inside the model; now load names it."""
    from course_utils.errors import CourseError

    model, tokenizer = _tiny_classifier(tmp_path)
    setattr(model.config, finetune.RECIPE_KEY, recipe)
    model.save_pretrained(tmp_path / "saved")
    tokenizer.save_pretrained(tmp_path / "saved")
    with pytest.raises(CourseError, match=message.replace("(", "\\(").replace("+", "\\+")) as raised:
        finetune.ReviewClassifier.load(tmp_path / "saved")
    assert "Fix:" in str(raised.value)


def test_review_classifier_refuses_a_dict_or_rows_of_a_data_set(tmp_path):
    """Issue 40: given dataset[:5] (a dict of columns) it classified the keys 'text' and 'label'."""
    from datasets import Dataset

    model, tokenizer = _tiny_classifier(tmp_path)
    classifier = finetune.ReviewClassifier(model, tokenizer, max_length=24, head=6)
    data = Dataset.from_dict({"text": ["Great.", "Awful.", "Fine."], "label": [1, 0, 1]})
    for bad in (data[:2], data, {"text": "Great."}):
        with pytest.raises(TypeError, match=r"dataset\[:5\]\['text'\]"):
            classifier(bad)
    with pytest.raises(TypeError, match="not int"):
        classifier(["Great.", 3])
    with pytest.raises(TypeError, match="list of texts"):
        classifier("Great.")
    assert len(classifier(data[:2]["text"])) == 2 and len(classifier(iter(["Great."]))) == 1


def test_classify_under_bf16_autocast_agrees_with_fp32_but_for_reviews_near_one_half(tmp_path):
    """Prediction under autocast (as on a GPU, here bf16 on the CPU) may flip only a review the model is
    unsure of: the margin 07 states for its equality checks."""
    import numpy as np
    import torch

    model, tokenizer = _tiny_classifier(tmp_path, layers=2)
    texts = [f"Review number {i}: " + "good " * (i % 7) + "bad " * (i % 5) for i in range(60)]
    fp32 = finetune.classify(texts, model, tokenizer, max_length=24, head=6)
    bf16 = finetune.classify(texts, model, tokenizer, max_length=24, head=6, autocast_dtype=torch.bfloat16)
    assert np.abs(fp32 - bf16).max() < 0.02
    sure = np.abs(fp32[:, 1] - 0.5) > 0.02
    assert (fp32[sure].argmax(axis=1) == bf16[sure].argmax(axis=1)).all()


def test_padded_tokens_per_batch_and_fixed():
    lengths = [10, 3, 7, 7, 2]
    assert finetune.padded_tokens(lengths, batch_size=2) == 2 * 10 + 2 * 7 + 1 * 2
    assert finetune.padded_tokens(lengths, batch_size=2, pad_to=16) == 5 * 16
    assert finetune.padded_tokens(sorted(lengths), batch_size=2) == 2 * 3 + 2 * 7 + 10
    with pytest.raises(ValueError):
        finetune.padded_tokens(lengths, batch_size=0)


def test_parameter_groups_skip_biases_layernorm_and_frozen_weights():
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = nn.Linear(4, 4)
            self.LayerNorm = nn.LayerNorm(4)
            self.frozen = nn.Linear(4, 4)
            self.frozen.requires_grad_(False)

    model = Tiny()
    decay, no_decay = finetune.parameter_groups(model, weight_decay=0.01)
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    assert [p is model.dense.weight for p in decay["params"]] == [True]
    assert {id(p) for p in no_decay["params"]} == {id(model.dense.bias), id(model.LayerNorm.weight), id(model.LayerNorm.bias)}


def test_label_config_round_trips():
    labels = finetune.label_config()
    assert labels["id2label"] == {0: "neg", 1: "pos"} and labels["label2id"] == {"neg": 0, "pos": 1}


def test_trainer_curves_from_a_log_history():
    log = [{"loss": 0.7, "step": 5}, {"loss": 0.5, "step": 10}, {"eval_loss": 0.45, "eval_accuracy": 0.8, "step": 10},
           {"eval_runtime": 1.5, "eval_samples_per_second": 60.0, "step": 10}, {"train_runtime": 12.0, "step": 10}]
    curves = finetune.trainer_curves(log)
    assert set(curves) == {"training loss", "validation loss", "validation accuracy"}
    assert curves["training loss"] == ([5.0, 10.0], [0.7, 0.5])
    assert curves["validation accuracy"] == ([10.0], [0.8])
    # several eval data sets (eval_dataset={"train": ..., "validation": ...}): one curve each
    several = finetune.trainer_curves([{"eval_train_accuracy": 0.9, "eval_validation_accuracy": 0.8,
                                        "eval_validation_loss": 0.4, "eval_train_runtime": 2.0, "step": 0}])
    assert several == {"train accuracy": ([0.0], [0.9]), "validation accuracy": ([0.0], [0.8]),
                       "validation loss": ([0.0], [0.4])}
    with pytest.raises(ValueError, match="no losses"):
        finetune.trainer_curves([{"train_runtime": 1.0, "step": 1}])


def test_tokenize_reviews_cuts_long_reviews_and_records_lengths():
    from datasets import Dataset
    from transformers import AutoTokenizer

    from course_utils.hub import model_path

    tokenizer = AutoTokenizer.from_pretrained(model_path("bert-base-uncased", verbose=False))
    long_review = "The opening is dull. " + "Plot plot plot. " * 100 + "The ending is wonderful."
    data = Dataset.from_dict({"text": ["Short and sweet.", long_review], "label": [1, 1]})
    encoded = finetune.tokenize_reviews(data, tokenizer, max_length=32, head=8)
    assert encoded.column_names == ["label", "input_ids", "attention_mask", "length"]
    assert encoded["length"] == [len(ids) for ids in encoded["input_ids"]] and encoded["length"][1] == 32
    kept = tokenizer.decode(encoded["input_ids"][1], skip_special_tokens=True)
    assert kept.startswith("the opening is dull") and kept.endswith("the ending is wonderful.")


def test_expected_calibration_error_sums_the_gaps_of_sklearns_bins():
    import numpy as np
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(0)
    probabilities = rng.uniform(size=500)
    labels = (rng.uniform(size=500) < probabilities ** 2).astype(int)  # over-confident about "pos"
    share_positive, mean_probability = calibration_curve(labels, probabilities, n_bins=10)
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], probabilities, side="right"), minlength=10)
    by_hand = float(np.sum(counts[counts > 0] / 500 * np.abs(share_positive - mean_probability)))
    assert finetune.expected_calibration_error(probabilities, labels) == pytest.approx(by_hand)
    assert finetune.expected_calibration_error(probabilities, labels) > 0.1
    assert finetune.expected_calibration_error([0.0, 1.0, 1.0], [0, 1, 1]) == 0.0
    assert finetune.expected_calibration_error([0.95, 0.95], [0, 0]) == pytest.approx(0.95)


def test_expected_calibration_error_names_bad_input():
    with pytest.raises(ValueError, match="not logits"):
        finetune.expected_calibration_error([2.3, -1.0], [1, 0])
    with pytest.raises(ValueError, match="same non-zero length"):
        finetune.expected_calibration_error([0.5], [1, 0])


def test_saved_activation_bytes_grow_with_the_batch_and_leave_weights_out():
    import torch
    from torch import nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.second = nn.Linear(100, 50), nn.Linear(50, 2)

        def forward(self, inputs):
            return self.second(torch.relu(self.first(inputs)))

    model = Model()
    one = finetune.saved_activation_bytes(model, {"inputs": torch.randn(1, 100)})
    eight = finetune.saved_activation_bytes(model, {"inputs": torch.randn(8, 100)})
    # kept, per example: the input (100 floats, for the first layer's weight gradient) and the ReLU's
    # output (50: ReLU's own backward and the second layer's both read it; counted once)
    assert one == 4 * (100 + 50)
    assert eight == 8 * one
    assert all(parameter.grad is None for parameter in model.parameters()), "measuring must not train"


def test_saved_activation_bytes_frees_the_pass_it_measured():
    """The pass is measured, then let go: no activation may outlive it (a kernel would keep growing)."""
    import gc
    import weakref

    import torch
    from torch import nn

    kept: list[weakref.ref] = []
    model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 2))
    model[1].register_forward_hook(lambda module, inputs, output: kept.append(weakref.ref(output)))
    assert finetune.saved_activation_bytes(model, {"input": torch.randn(8, 100)}) > 0
    gc.collect()
    assert kept and kept[0]() is None, "the ReLU's output is still alive after the measurement"


def test_freeze_lower_layers_leaves_the_top_layers_and_the_head_training(tmp_path):
    model, _ = _tiny_classifier(tmp_path, layers=3)
    total = sum(p.numel() for p in model.parameters())
    frozen = finetune.freeze_lower_layers(model, 2)
    training = {".".join(name.split(".")[:4]) if ".layer." in name else ".".join(name.split(".")[:2])
                for name, p in model.named_parameters() if p.requires_grad}
    assert training == {"bert.encoder.layer.2", "bert.pooler", "classifier.weight", "classifier.bias"}
    assert frozen == sum(p.numel() for p in model.parameters() if not p.requires_grad) < total
    with pytest.raises(finetune.InputError, match="from 0 to 2"):
        finetune.freeze_lower_layers(model, 3)
    with pytest.raises(finetune.InputError, match="from 0 to 2"):
        finetune.freeze_lower_layers(model, -1)


def test_bert_flops_grow_linearly_but_for_the_attention_scores():
    """The arithmetic 07 and 08 teach: projections and feed-forward grow with the length, the scores with its
    square; attention's share of a layer is T / (6d + T) when d_ff = 4d (10% for bert-base at 512)."""
    from transformers import BertConfig

    base = BertConfig()   # bert-base: 12 layers, 768 wide, 3072 feed-forward
    at = {width: finetune.bert_flops(base, [width], training=False) for width in (128, 256, 512)}
    assert at[512]["projections"] == 4 * at[128]["projections"] and at[512]["feed-forward"] == 4 * at[128]["feed-forward"]
    assert at[512]["attention scores"] == 16 * at[128]["attention scores"]
    assert at[512]["attention scores"] / at[512]["total"] == pytest.approx(512 / (6 * 768 + 512))
    assert 0.09 < at[512]["attention scores"] / at[512]["total"] < 0.11
    # a forward pass is 2 x 85 M weights x tokens; training about three times that
    assert at[512]["total"] == pytest.approx(2 * 12 * (4 * 768**2 + 2 * 768 * 3072) * 512 * (1 + 512 / (6 * 768)))
    assert finetune.bert_flops(base, [512, 512], batch_size=4)["total"] == 3 * 8 * at[512]["total"]


def test_gpu_seconds_spans_the_assumed_utilisation():
    peak, (low, high) = finetune.GPU_PEAKS["T4 (fp16)"]
    fast, slow = finetune.gpu_seconds(peak * 0.2 * 100, "T4 (fp16)")
    assert fast == pytest.approx(100 * 0.2 / high) and slow == pytest.approx(100 * 0.2 / low)
    assert finetune.gpu_seconds(1e15, "A100 (bf16)")[1] < finetune.gpu_seconds(1e15, "T4 (fp16)")[0]
    with pytest.raises(ValueError, match="T4"):
        finetune.gpu_seconds(1e12, "a toaster")
