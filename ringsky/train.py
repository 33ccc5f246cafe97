"""Train a ring classifier: AdamW, cosine schedule, bf16 autocast.

By default on simulated galaxies; with ``labelled`` on a labelled folder source (such as the
explorer's vote export), fine-tuning the ``init`` model, with every fifth galaxy (by a hash of
its id) held out for validation.
"""
import math
import time
import zlib
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from . import RingskyError
from .data import augment, simulated_set
from .metrics import best_f1_threshold, summarise
from .models import Classifier, ModelConfig, build_network, load_classifier, save_classifier
from .simulate import SIMULATOR_VERSION

TRAIN_SEED, VALIDATION_SEED = 1, 2


@dataclass
class TrainSettings:
    architecture: str = "convnext_atto"
    input_size: int = 64
    channels: int = 1
    n_train: int = 16000
    n_validation: int = 2000
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 0.5
    seed: int = 0
    workers: int = 2
    labelled: str = ""
    init: str = ""


def labelled_sets(spec, npix):
    """(train images, labels), (validation images, labels) from a labelled source; a galaxy's
    split follows from its id alone, so adding votes never moves one across the split."""
    from .sources import open_source

    images, labels, table = open_source(spec).labelled_sample(npix)
    held_out = np.array([zlib.crc32(str(i).encode()) % 5 == 0 for i in table["id"]], dtype=bool)
    labels = labels.astype(np.float32)
    for name, mask in (("training", ~held_out), ("validation", held_out)):
        if len(np.unique(labels[mask])) < 2:
            raise RingskyError(f"{spec}: the {name} split needs both rings and non-rings "
                               f"(it has {int(mask.sum())} galaxies); vote on more")
    return (images[~held_out], labels[~held_out]), (images[held_out], labels[held_out])


def _learning_rate(step, total, warmup, peak):
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def fit(classifier, train_set, validation_set, settings, progress=True):
    """Train ``classifier`` in place: AdamW, warm-up then cosine schedule, bf16 autocast,
    augmentations; keeps the epoch with the best validation PR AUC. Returns the per-epoch
    history; its last entry also holds the training rate in images/s."""
    (train_images, train_labels), (val_images, val_labels) = train_set, validation_set
    generator = torch.Generator().manual_seed(settings.seed)
    network = classifier.network
    x_train = classifier.inputs(train_images)
    y_train = torch.from_numpy(np.asarray(train_labels, dtype=np.float32))
    optimiser = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate,
                                  weight_decay=settings.weight_decay)
    steps_per_epoch = max(1, len(x_train) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    warmup = int(settings.warmup_epochs * steps_per_epoch)

    best, best_state, history, step, training_seconds = -1.0, None, [], 0, 0.0
    for epoch in range(settings.epochs):
        network.train()
        started = time.perf_counter()
        order = torch.randperm(len(x_train), generator=generator)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{settings.epochs}", disable=not progress)
        for b in bar:
            index = order[b * settings.batch_size:(b + 1) * settings.batch_size]
            batch = augment(x_train[index], generator).to(memory_format=torch.channels_last)
            for group in optimiser.param_groups:
                group["lr"] = _learning_rate(step, total, warmup, settings.learning_rate)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = network(batch).float().squeeze(1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y_train[index])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            step += 1
            bar.set_postfix(loss=f"{loss.item():.3f}")
        training_seconds += time.perf_counter() - started
        network.eval()
        val_prob = classifier.predict(val_images)
        scores = summarise(val_labels, val_prob, 0.5)
        history.append({"epoch": epoch + 1, "val_roc_auc": scores["roc_auc"], "val_pr_auc": scores["pr_auc"]})
        if progress:
            print(f"epoch {epoch + 1}: validation ROC AUC {scores['roc_auc']:.4f} PR AUC {scores['pr_auc']:.4f}")
        if scores["pr_auc"] > best:
            best = scores["pr_auc"]
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
    network.load_state_dict(best_state)
    network.eval()
    history[-1]["train_images_per_s"] = round(step * settings.batch_size / max(training_seconds, 1e-9), 1)
    return history


def train(settings, out_path, progress=True):
    """Train, keep the epoch with the best validation PR AUC, pick the max-F1 threshold, save."""
    started = time.time()
    torch.manual_seed(settings.seed)
    initial_model = ""
    if settings.init:
        classifier = load_classifier(settings.init)
        initial_model = classifier.config.model_id
        config = classifier.config.untrained()
        classifier = Classifier(classifier.network, config)
    else:
        config = ModelConfig(architecture=settings.architecture, input_size=settings.input_size,
                             channels=settings.channels)
        classifier = Classifier(build_network(config), config)
    npix = config.input_size
    if settings.labelled:
        (train_images, train_labels), (val_images, val_labels) = labelled_sets(settings.labelled, npix)
        data = f"{settings.labelled}: {len(train_labels)} training, {len(val_labels)} validation galaxies"
    else:
        train_images, train_labels, _ = simulated_set(settings.n_train, TRAIN_SEED, npix, workers=settings.workers)
        val_images, val_labels, _ = simulated_set(settings.n_validation, VALIDATION_SEED, npix,
                                                  workers=settings.workers)
        data = (f"ringsky simulator v{SIMULATOR_VERSION}, train seed {TRAIN_SEED} (n={settings.n_train}), "
                f"validation seed {VALIDATION_SEED} (n={settings.n_validation}), ring fraction 0.5")
    history = fit(classifier, (train_images, train_labels), (val_images, val_labels), settings, progress)
    val_prob = classifier.predict(val_images)
    config.threshold = best_f1_threshold(val_labels, val_prob)
    config.metrics = {"validation": summarise(val_labels, val_prob, config.threshold), "history": history}
    config.training = {
        "data": data,
        "initial_model": initial_model,
        "settings": asdict(settings),
        "wall_time_s": round(time.time() - started, 1),
        "threshold_rule": "max F1 on validation",
    }
    return save_classifier(classifier.network, config, out_path)

