"""The fine-tune of notebook 08 as a script for several processes: DistributedDataParallel (DDP).

Run it with PyTorch's launcher, one process per CPU core or GPU::

    torchrun --standalone --nproc-per-node 2 -m course_utils.ddp --device cpu --train-size 64 --out outputs/ddp

(``--device cpu`` on a machine with fewer GPUs than processes: with the default ``auto``, process N takes GPU N.)

Every process loads the same model and takes its own share of each epoch's reviews
(``DistributedSampler``); after each backward pass DDP averages the gradients across processes
(gloo on CPUs, NCCL on GPUs), so every process takes the same optimizer step and the copies stay
identical. Each process writes ``rank<N>.json`` to `--out`: its losses, its settings and a SHA-256
of its weights, which the tests and notebook 08 compare.

It trains in fp32 with its own small settings (the options below), not 08's loop's: it shows how the
processes stay in step, not how well the model learns. ``--device cpu`` runs on the CPU even where a GPU
is present: one process per core, so two processes show DDP at work on any machine (on one GPU,
one process has nothing to keep in step with).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

from .errors import CourseError

DATASET_ID = "stanfordnlp/imdb"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="torchrun ... -m course_utils.ddp", description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=64, help="training reviews in all (split across processes)")
    parser.add_argument("--max-length", type=int, default=64, help="tokens kept per review (head and tail)")
    parser.add_argument("--batch-size", type=int, default=8, help="reviews per process per step")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None, help="Hub id (default: the model COURSE_PROFILE names, as in the notebooks)")
    parser.add_argument("--freeze-layers", type=int, default=0,
                        help="also freeze the lowest N encoder layers (with the embeddings): less memory and a shorter backward pass")
    parser.add_argument("--freeze-embeddings", action="store_true", help="train everything but the embeddings (as 07 and 08 do on a CPU)")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto",
                        help="auto: one GPU per process where there are GPUs (NCCL), else the CPU; cpu: the CPU (gloo) always")
    parser.add_argument("--out", type=Path, required=True, help="folder for rank<N>.json")
    args = parser.parse_args(argv)
    if args.freeze_layers < 0:
        parser.error(f"--freeze-layers {args.freeze_layers}: give a number of layers from 0 up")
    return args


def weights_sha256(model) -> str:
    """A fingerprint of every parameter's exact bytes, in a fixed order."""
    digest = hashlib.sha256()
    for name, parameter in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(parameter.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if "RANK" not in os.environ:
        raise CourseError("course_utils.ddp runs under torchrun, which starts the processes. Fix: "
                          "torchrun --standalone --nproc-per-node 2 -m course_utils.ddp --device cpu --out outputs/ddp")

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              get_linear_schedule_with_warmup)

    from .finetune import freeze_embeddings, freeze_lower_layers, label_config, parameter_groups, tokenize_reviews
    from .hub import load_reviews, model_path
    from .session import MODELS, quiet_libraries, resolve_profile

    quiet_libraries()
    cuda = torch.cuda.is_available() and args.device == "auto"
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if not cuda:
        torch.set_num_threads(1)  # one core per process; torchrun starts one process per core
    torch.manual_seed(args.seed)  # the same new classifier head on every rank (DDP also broadcasts rank 0's)

    model_id = args.model or MODELS[resolve_profile(gpu=torch.cuda.is_available())]   # the notebooks' model for this profile
    folder = model_path(model_id, verbose=rank == 0)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2, **label_config())
    if args.freeze_layers:
        freeze_lower_layers(model, args.freeze_layers)
    elif args.freeze_embeddings:
        freeze_embeddings(model)
    model = model.to(device)
    reviews = load_reviews(DATASET_ID, verbose=False)["train"].shuffle(seed=args.seed)
    encoded = tokenize_reviews(reviews.select(range(min(args.train_size, len(reviews)))), tokenizer, args.max_length)
    encoded = encoded.select_columns(["input_ids", "attention_mask", "label"])

    sampler = DistributedSampler(encoded, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(encoded, batch_size=args.batch_size, sampler=sampler, collate_fn=DataCollatorWithPadding(tokenizer))
    ddp_model = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)
    optimizer = torch.optim.AdamW(parameter_groups(model, weight_decay=0.01), lr=args.lr)
    steps = args.epochs * len(loader)
    schedule = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=max(steps // 10, 1), num_training_steps=steps)

    losses: list[float] = []
    ddp_model.train()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a different shuffle each epoch, the same on every rank
        for batch in loader:
            batch = {key: value.to(device) for key, value in batch.items()}
            loss = ddp_model(**batch).loss
            loss.backward()  # DDP averages the gradients across ranks here
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)  # the sum over ranks
            losses.append(mean_loss.item() / world)

    args.out.mkdir(parents=True, exist_ok=True)
    report = {"rank": rank, "world_size": world, "backend": dist.get_backend(), "device": device.type, "steps": steps,
              "learning_rate": args.lr, "batch_size": args.batch_size, "precision": "fp32", "max_length": args.max_length,
              "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
              "reviews_per_rank": len(sampler), "losses": losses, "weights_sha256": weights_sha256(model)}
    (args.out / f"rank{rank}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    if rank == 0:
        print(f"{world} processes ({report['backend']}), {steps} steps, {len(sampler)} reviews each per epoch; "
              f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    try:
        main()
    except CourseError as exc:
        raise SystemExit(f"error: {exc}") from None
