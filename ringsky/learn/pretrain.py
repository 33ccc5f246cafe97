"""In-domain pretraining: an encoder that has seen real galaxies, from pictures without positions.

``ringsky pretrain`` trains a timm network on a picture folder
(:mod:`ringsky.sources.picture_folders`), such as the 14,368 real SDSS pictures of
``sdss-galaxies``, to predict the folder's own label columns, one head each (Galaxy Zoo 1
classes, the GZ2 "featured spiral with an odd feature" flag): every column is a categorical head
whose classes are its distinct non-empty values, and a picture without a value for a head is
left out of that head's loss. Rings are the commonest odd feature, so the odd-feature head is
ring-enriched, not a ring label.

The result is an encoder, not a ring classifier: weights (``OUT.safetensors``) and an
``EncoderConfig`` (``OUT.json``, ``kind = "encoder"``) that ``ringsky train --init OUT`` and
``ringsky crossval --init OUT`` start from, with a new ring head. Every tenth picture (by a hash
of its id) validates; every epoch is checkpointed, so an interrupted run resumes.
"""
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .. import RingskyError
from .datasets import augment
from .models import Classifier, EncoderConfig, ModelConfig, build_network, save_encoder
from ..sources.picture_folders import folder_pictures
from .pretrained import MEAN as IMAGENET_MEAN, STD as IMAGENET_STD, architecture_of
from .train import learning_rate_at, load_settings, optimiser_step, resume_checkpoint, save_checkpoint


@dataclass
class PretrainSettings:
    pictures: str = ""
    heads: list = field(default_factory=lambda: ["gz1_class", "gz2_spiral_odd"])
    init: str = "imagenet:tf_efficientnet_lite0"
    architecture: str = "tf_efficientnet_lite0"
    input_size: int = 96
    crop: float = 1.0
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 0.2
    seed: int = 0

    def __post_init__(self):
        if not self.pictures:
            raise RingskyError("pretrain needs a picture folder (--pictures folder:PATH)")
        if not self.heads:
            raise RingskyError("pretrain needs at least one label column (--heads)")
        if self.epochs < 1 or self.batch_size < 1:
            raise RingskyError("epochs and batch_size must be at least 1")
        if not 0 < self.crop <= 1:
            raise RingskyError(f"crop must be a fraction of the picture's side in (0, 1], not {self.crop!r}")


def head_targets(table, heads):
    """Per head: its classes (the column's distinct non-empty values, as text) and each
    picture's class index, -1 where the picture has no value."""
    targets = {}
    for name in heads:
        if name not in table.colnames:
            raise RingskyError(f"pretrain: the picture folder has no column {name!r} "
                               f"(it has {', '.join(table.colnames)})")
        column = table[name]
        values = np.array(["" if np.ma.is_masked(v) else str(v) for v in column])
        classes = sorted(set(values) - {""})
        if len(classes) < 2:
            raise RingskyError(f"pretrain: column {name!r} needs at least two classes, it has {classes}")
        index = {c: k for k, c in enumerate(classes)}
        targets[name] = (classes, np.array([index.get(v, -1) for v in values], dtype=np.int64))
    return targets


def _head_losses(outputs, targets, index):
    """Sum over heads of the cross-entropy on the pictures that have a value for that head."""
    total, start = 0.0, 0
    for classes, labels in targets.values():
        wanted = torch.from_numpy(labels[index])
        stop = start + len(classes)
        if (wanted >= 0).any():
            total = total + torch.nn.functional.cross_entropy(outputs[:, start:stop], wanted, ignore_index=-1)
        start = stop
    return total


def _head_accuracies(classifier, images, targets, batch_size=256):
    """Validation accuracy per head, on the pictures with a value for it."""
    outputs = np.concatenate([classifier.outputs(classifier.inputs(images[i:i + batch_size])).numpy()
                              for i in range(0, len(images), batch_size)])
    scores, start = {}, 0
    for name, (classes, labels) in targets.items():
        stop = start + len(classes)
        known = labels >= 0
        predicted = outputs[known, start:stop].argmax(axis=1)
        scores[name] = round(float((predicted == labels[known]).mean()), 4) if known.any() else None
        start = stop
    return scores


def _initial(settings, outputs):
    imagenet = architecture_of(settings.init)
    config = ModelConfig(architecture=imagenet or settings.architecture, input_size=settings.input_size,
                         channels=3, crop=settings.crop, classes=[])
    if imagenet:
        config.mean, config.std = IMAGENET_MEAN, IMAGENET_STD
    network = build_network(config, weights=settings.init or None)
    network.reset_classifier(outputs)
    return Classifier(network, config)


def pretrain(settings, out_path, progress=True):
    """Pretrain, checkpointing every epoch, and save the encoder of the last epoch."""
    started = time.time()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(settings.seed)
    images, table = folder_pictures(settings.pictures, round(settings.input_size / settings.crop), 1.0,
                                    progress=progress)
    targets = head_targets(table, settings.heads)
    classifier = _initial(settings, sum(len(classes) for classes, _ in targets.values()))
    network = classifier.network
    held_out = np.array([zlib.crc32(str(i).encode()) % 10 == 0 for i in table["id"]], dtype=bool)
    train_index, val_index = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    val_targets = {name: (classes, labels[val_index]) for name, (classes, labels) in targets.items()}
    x_train = classifier.inputs(images[train_index])
    generator = torch.Generator().manual_seed(settings.seed)
    optimiser = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    for group in optimiser.param_groups:
        group["lr_scale"] = 1.0
    steps_per_epoch = max(1, len(x_train) // settings.batch_size)
    total, warmup = steps_per_epoch * settings.epochs, int(settings.warmup_epochs * steps_per_epoch)
    checkpoint = out_path.with_suffix(".checkpoint.pt")
    state = {"epoch": 0, "step": 0, "history": [], "training_seconds": 0.0}
    if checkpoint.exists():
        state = resume_checkpoint(checkpoint, network, optimiser, generator, settings)
        if progress:
            print(f"resuming from {checkpoint} after epoch {state['epoch']}")
    while state["epoch"] < settings.epochs:
        network.train()
        began = time.perf_counter()
        order = torch.randperm(len(x_train), generator=generator)
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {state['epoch'] + 1}/{settings.epochs}", disable=not progress)
        for b in bar:
            index = order[b * settings.batch_size:(b + 1) * settings.batch_size]
            for group in optimiser.param_groups:
                group["lr"] = learning_rate_at(state["step"], total, warmup, settings.learning_rate, "cosine")
            losses.append(optimiser_step(network, optimiser, augment(x_train[index], generator),
                                         lambda outputs: _head_losses(outputs, targets, train_index[index.numpy()])))
            state["step"] += 1
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        state["training_seconds"] += time.perf_counter() - began
        network.eval()
        accuracy = _head_accuracies(classifier, images[val_index], val_targets)
        state["history"].append({"epoch": state["epoch"] + 1, "train_loss": float(np.mean(losses)),
                                 "val_accuracy": accuracy})
        if progress:
            print(f"epoch {state['epoch'] + 1}: validation accuracy "
                  + ", ".join(f"{name} {value}" for name, value in accuracy.items()))
        state["epoch"] += 1
        save_checkpoint(checkpoint, state, network, optimiser, generator, settings)
    encoder = EncoderConfig(architecture=classifier.config.architecture, input_size=settings.input_size,
                            channels=3, mean=classifier.config.mean, std=classifier.config.std, crop=settings.crop,
                            heads={name: classes for name, (classes, _) in targets.items()},
                            training={"pictures": settings.pictures, "n_train": int(len(train_index)),
                                      "n_validation": int(len(val_index)), "settings": asdict(settings),
                                      "initial_model": settings.init,
                                      "wall_time_s": round(time.time() - started, 1),
                                      "train_images_per_s": round(state["step"] * settings.batch_size
                                                                  / max(state["training_seconds"], 1e-9), 1)},
                            metrics={"history": state["history"]})
    encoder = save_encoder(network, encoder, out_path)
    checkpoint.unlink(missing_ok=True)
    return encoder


def load_pretrain_settings(path=None, overrides=None):
    """PretrainSettings from a TOML file and command-line overrides, names and types checked."""
    return load_settings(path, overrides, kind=PretrainSettings)
