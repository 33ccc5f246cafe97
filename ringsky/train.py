"""Train a ring classifier: AdamW, warm-up then cosine or constant schedule, bf16 autocast.

By default on simulated galaxies; with ``labelled`` on a labelled folder source (such as the
explorer's vote export), with every fifth galaxy (by a hash of its id) held out for validation.
``init`` starts from a ringsky model or a timm encoder's weights file on disk (fine-tuning;
nothing is downloaded); ``unfrozen_blocks`` and ``layer_decay`` say
how deep it trains. ``task = "morphology"`` trains a multi-class head on the simulator's classes
(ring among them) through the same code. Settings come from a TOML file of ``name = value``
lines (the fields of TrainSettings) with command-line overrides. Every epoch is checkpointed, so
an interrupted run resumes where it stopped and ends with the same weights.
"""
import hashlib
import math
import time
import tomllib
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import RingskyError
from .data import affine, augment, simulated_set
from .fileio import atomic_path
from .imaging import PLANES
from .finetune import keep_frozen_statistics, optimiser_groups
from .metrics import parse_threshold_rule, select_threshold, summarise
from .models import Classifier, ModelConfig, build_network, load_classifier, save_classifier
from .simulate import NONRING_TYPES, SIMULATOR_VERSION

TRAIN_SEED, VALIDATION_SEED = 1, 2
MORPHOLOGY_CLASSES = ("ring",) + NONRING_TYPES
CHOICES = {"schedule": ("cosine", "constant"), "balance": ("none", "weight", "sampler"),
           "augment": ("dihedral", "affine"), "task": ("ring", "morphology")}


@dataclass
class TrainSettings:
    architecture: str = "convnext_atto"
    input_size: int = 64
    channels: int = 1
    task: str = "ring"
    n_train: int = 16000
    n_validation: int = 2000
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 0.05
    schedule: str = "cosine"
    warmup_epochs: float = 0.5
    unfrozen_blocks: int | str = "all"
    layer_decay: float = 1.0
    balance: str = "none"
    augment: str = "dihedral"
    patience: int = 0
    threshold_rule: str = "max-f1"
    seed: int = 0
    workers: int = 2
    labelled: str = ""
    init: str = ""
    rehearsal: int = 0

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise RingskyError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        if self.unfrozen_blocks != "all" and not (isinstance(self.unfrozen_blocks, int) and self.unfrozen_blocks >= 0):
            raise RingskyError(f"unfrozen_blocks must be 'all' or a whole number >= 0, not {self.unfrozen_blocks!r}")
        if self.channels not in PLANES:
            raise RingskyError(f"channels must be 1 (grey), 3 (RGB) or 5 (ugriz), not {self.channels!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise RingskyError("epochs and batch_size must be at least 1")
        if self.rehearsal < 0:
            raise RingskyError(f"rehearsal must be a number of simulated galaxies >= 0, not {self.rehearsal!r}")
        parse_threshold_rule(self.threshold_rule)  # a bad rule fails here, not after training


def settings_from(values, where="settings"):
    """TrainSettings from a mapping, checking names and types so that a typo in a TOML file or
    grid is one clear error before any training starts."""
    known = {f.name: f for f in fields(TrainSettings)}
    checked = {}
    for name, value in values.items():
        if name not in known:
            raise RingskyError(f"{where}: unknown setting {name!r} (known: {', '.join(known)})")
        default = known[name].default
        if name == "unfrozen_blocks" and isinstance(value, str) and value.isdigit():
            value = int(value)
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif name != "unfrozen_blocks" and (type(value) is not type(default)):
            raise RingskyError(f"{where}: {name} must be {type(default).__name__}, not {value!r}")
        checked[name] = value
    return TrainSettings(**checked)


def load_settings(path=None, overrides=None, defaults=None):
    """Settings from ``defaults`` (a command's own), then a TOML file (``name = value`` lines),
    then ``overrides`` (the command line), each overriding the one before."""
    values = dict(defaults or {})
    if path:
        try:
            values.update(tomllib.loads(Path(path).read_text()))
        except OSError as error:
            raise RingskyError(f"cannot read settings {path}: {error.strerror}") from error
        except tomllib.TOMLDecodeError as error:
            raise RingskyError(f"{path}: not valid TOML: {error}") from error
    values.update(overrides or {})
    return settings_from(values, where=str(path or "settings"))


def labelled_sets(spec, npix, planes="rgb"):
    """(train images, labels, table), (validation images, labels, table) from a labelled source;
    a galaxy's split follows from its id alone, so adding votes never moves one across the split."""
    from .sources import labelled_pictures, open_source

    images, labels, table = labelled_pictures(open_source(spec), npix, planes)
    held_out = np.array([zlib.crc32(str(i).encode()) % 5 == 0 for i in table["id"]], dtype=bool)
    for name, mask in (("training", ~held_out), ("validation", held_out)):
        if len(np.unique(labels[mask])) < 2:
            raise RingskyError(f"{spec}: the {name} split needs both rings and non-rings "
                               f"(it has {int(mask.sum())} galaxies); vote on more")
    return (images[~held_out], labels[~held_out], table[~held_out]), (images[held_out], labels[held_out], table[held_out])


def with_rehearsal(config, images, targets, settings):
    """Labelled training images and targets with ``settings.rehearsal`` simulated galaxies
    (training seed) mixed in, the labelled ones repeated to make up about half the set. Fine-tuned
    on a few hundred real cutouts alone, a model forgets much of the simulator; rehearsing the
    simulator keeps most of it (measured figures in the README)."""
    if not settings.rehearsal:
        return images, targets
    sim_images, sim_labels, sim_table = simulated_set(settings.rehearsal, TRAIN_SEED, config.input_size,
                                                      workers=settings.workers, planes=config.planes)
    repeat = max(1, round(settings.rehearsal / len(images)))
    return (np.concatenate([np.repeat(images, repeat, axis=0), sim_images]),
            np.concatenate([np.repeat(targets, repeat, axis=0), targets_for(config, sim_labels, sim_table)]))


def targets_for(config, labels, table):
    """What the loss compares against: ring labels (float) for a binary head, or class indices
    from the table's ``morphology`` column for a multi-class one."""
    if not config.classes:
        return np.asarray(labels, dtype=np.float32)
    if "morphology" not in table.colnames:
        raise RingskyError("a morphology model needs a 'morphology' column in its training data")
    unknown = set(table["morphology"]) - set(config.classes)
    if unknown:
        raise RingskyError(f"morphology classes not in {', '.join(config.classes)}: {', '.join(sorted(unknown))}")
    return np.array([config.classes.index(m) for m in table["morphology"]], dtype=np.int64)


def ring_labels(config, targets):
    """1 for rings, 0 otherwise, from either kind of target."""
    targets = np.asarray(targets)
    return (targets == config.classes.index("ring")).astype(int) if config.classes else targets.astype(int)


def _learning_rate(step, total, warmup, peak, schedule):
    if step < warmup:
        return peak * (step + 1) / warmup
    if schedule == "constant":
        return peak
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def class_balance(config, y, balance):
    """Loss weights (binary: the positive weight; classes: one per class) for ``balance="weight"``,
    per-sample draw weights for ``balance="sampler"``; inverse class frequencies either way."""
    n_classes = max(2, config.outputs)
    counts = torch.bincount(y.long(), minlength=n_classes).clamp(min=1).float()
    if balance == "sampler":
        return None, (1.0 / counts)[y.long()]
    if balance == "weight":
        return (counts[0] / counts[1] if not config.classes else counts.sum() / (n_classes * counts)), None
    return None, None


def _loss(config, outputs, targets, weight):
    if config.classes:
        return torch.nn.functional.cross_entropy(outputs, targets, weight=weight)
    return torch.nn.functional.binary_cross_entropy_with_logits(outputs[:, 0], targets, pos_weight=weight)


def fit(classifier, train_set, validation_set, settings, progress=True, checkpoint=None):
    """Train ``classifier`` in place and keep the epoch with the best validation PR AUC of P(ring);
    stop early after ``settings.patience`` epochs without improvement (0: never). Sets are
    (uint8 images, targets) pairs. With a ``checkpoint`` path, the full state (weights,
    optimiser, random generators, history) is written atomically after every epoch and a run
    starts from it when it exists. Returns the per-epoch history; its last entry also holds the
    training rate in images/s."""
    (train_images, train_targets), (val_images, val_targets) = train_set, validation_set
    config, network = classifier.config, classifier.network
    val_rings = ring_labels(config, val_targets)
    generator = torch.Generator().manual_seed(settings.seed)
    x_train = classifier.inputs(train_images)
    y_train = torch.from_numpy(np.asarray(train_targets, dtype=np.int64 if config.classes else np.float32))
    loss_weight, draw_weight = class_balance(config, y_train, settings.balance)
    optimiser = torch.optim.AdamW(optimiser_groups(network, settings.unfrozen_blocks, settings.weight_decay,
                                                   settings.layer_decay), lr=settings.learning_rate)
    steps_per_epoch = max(1, len(x_train) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    warmup = int(settings.warmup_epochs * steps_per_epoch)

    state = {"epoch": 0, "step": 0, "best": -1.0, "best_state": None, "history": [], "training_seconds": 0.0,
             "stale": 0}
    if checkpoint is not None and Path(checkpoint).exists():
        state = _resume(checkpoint, network, optimiser, generator, settings)
        if progress:
            print(f"resuming from {checkpoint} after epoch {state['epoch']}")
    while state["epoch"] < settings.epochs and not (settings.patience and state["stale"] >= settings.patience):
        epoch = state["epoch"]
        network.train()
        keep_frozen_statistics(network)
        started = time.perf_counter()
        order = (torch.multinomial(draw_weight, len(x_train), replacement=True, generator=generator)
                 if draw_weight is not None else torch.randperm(len(x_train), generator=generator))
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{settings.epochs}", disable=not progress)
        for b in bar:
            index = order[b * settings.batch_size:(b + 1) * settings.batch_size]
            batch = augment(x_train[index], generator)
            if settings.augment == "affine":
                batch = affine(batch, generator)
            rate = _learning_rate(state["step"], total, warmup, settings.learning_rate, settings.schedule)
            for group in optimiser.param_groups:
                group["lr"] = rate * group["lr_scale"]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                outputs = network(batch.to(memory_format=torch.channels_last)).float()
            loss = _loss(config, outputs, y_train[index], loss_weight)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            state["step"] += 1
            losses.append(loss.item())
            bar.set_postfix(loss=f"{loss.item():.3f}")
        state["training_seconds"] += time.perf_counter() - started
        network.eval()
        scores = summarise(val_rings, classifier.predict(val_images), 0.5)
        state["history"].append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)),
                                 "val_roc_auc": scores["roc_auc"], "val_pr_auc": scores["pr_auc"]})
        if progress:
            print(f"epoch {epoch + 1}: validation ROC AUC {scores['roc_auc']:.4f} PR AUC {scores['pr_auc']:.4f}")
        if scores["pr_auc"] > state["best"]:
            state.update(best=scores["pr_auc"], stale=0,
                         best_state={k: v.detach().clone() for k, v in network.state_dict().items()})
        else:
            state["stale"] += 1
        state["epoch"] = epoch + 1
        if checkpoint is not None:
            _save_checkpoint(checkpoint, state, network, optimiser, generator, settings)
    network.load_state_dict(state["best_state"])
    network.eval()
    history = state["history"]
    history[-1]["train_images_per_s"] = round(state["step"] * settings.batch_size
                                              / max(state["training_seconds"], 1e-9), 1)
    return history


def _save_checkpoint(path, state, network, optimiser, generator, settings):
    with atomic_path(path) as temporary:
        torch.save({**state, "network": network.state_dict(), "optimiser": optimiser.state_dict(),
                    "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                    "settings": asdict(settings)}, temporary)


def _resume(path, network, optimiser, generator, settings):
    try:
        saved = torch.load(path, weights_only=True)
    except Exception as error:  # torch raises several types for damaged files
        raise RingskyError(f"cannot read checkpoint {path}: {str(error).splitlines()[0]}") from error
    if saved["settings"] != asdict(settings):
        changed = sorted(k for k in saved["settings"] if saved["settings"][k] != asdict(settings).get(k))
        raise RingskyError(f"checkpoint {path} was written with other settings ({', '.join(changed)}); "
                           "delete it to start again")
    network.load_state_dict(saved.pop("network"))
    optimiser.load_state_dict(saved.pop("optimiser"))
    generator.set_state(saved.pop("generator"))
    torch.set_rng_state(saved.pop("torch_rng"))
    saved.pop("settings")
    return saved


def checkpoint_path(out_path):
    """Where a training run that writes ``out_path`` keeps its checkpoint."""
    return Path(out_path).with_suffix(".checkpoint.pt")


def _initial_classifier(settings):
    """The classifier training starts from, and a line naming what it started from: a ringsky
    model (``init`` with its .json beside it), a timm encoder's weights file, or nothing."""
    init = Path(settings.init) if settings.init else None
    if init is not None and init.with_suffix(".json").is_file():
        classifier = load_classifier(init)
        config = classifier.config.untrained()
        if settings.task == "morphology" and not config.classes:
            raise RingskyError(f"{settings.init} has a binary ring head; a morphology model needs a "
                               "multi-class one (train it with task = \"morphology\")")
        return Classifier(classifier.network, config), classifier.config.model_id
    config = ModelConfig(architecture=settings.architecture, input_size=settings.input_size,
                         channels=settings.channels,
                         classes=list(MORPHOLOGY_CLASSES) if settings.task == "morphology" else [])
    if init is None:
        return Classifier(build_network(config), config), ""
    if not init.is_file():
        raise RingskyError(f"--init {init}: neither a ringsky model (no {init.with_suffix('.json').name}) "
                           "nor a weights file")
    digest = hashlib.sha256(init.read_bytes()).hexdigest()[:12]
    return Classifier(build_network(config, weights=init), config), f"{init.name} (sha256 {digest})"


def train(settings, out_path, progress=True):
    """Train, keep the epoch with the best validation PR AUC, choose the threshold on validation
    by ``settings.threshold_rule``, save. Resumes from the checkpoint beside ``out_path`` when
    one exists, and removes it once the model is saved."""
    if settings.rehearsal and not settings.labelled:
        raise RingskyError("rehearsal mixes simulated galaxies into training on a labelled source: set labelled too")
    started = time.time()
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)  # an unwritable folder fails before training
    torch.manual_seed(settings.seed)
    classifier, initial_model = _initial_classifier(settings)
    config = classifier.config
    npix = config.input_size
    if settings.labelled:
        (train_images, train_labels, train_table), (val_images, val_labels, val_table) = \
            labelled_sets(settings.labelled, npix, config.planes)
        data = f"{settings.labelled}: {len(train_labels)} training, {len(val_labels)} validation galaxies"
    else:
        train_images, train_labels, train_table = simulated_set(settings.n_train, TRAIN_SEED, npix,
                                                                workers=settings.workers, planes=config.planes)
        val_images, val_labels, val_table = simulated_set(settings.n_validation, VALIDATION_SEED, npix,
                                                          workers=settings.workers, planes=config.planes)
        data = (f"ringsky simulator v{SIMULATOR_VERSION} ({config.planes} pictures), train seed {TRAIN_SEED} (n={settings.n_train}), "
                f"validation seed {VALIDATION_SEED} (n={settings.n_validation}), ring fraction 0.5")
    train_targets = targets_for(config, train_labels, train_table)
    val_targets = targets_for(config, val_labels, val_table)
    train_images, train_targets = with_rehearsal(config, train_images, train_targets, settings)
    if settings.rehearsal:
        data += f", with {settings.rehearsal} simulated galaxies rehearsed (train seed {TRAIN_SEED})"
    checkpoint = checkpoint_path(out_path)
    history = fit(classifier, (train_images, train_targets), (val_images, val_targets), settings, progress,
                  checkpoint=checkpoint)
    val_rings = ring_labels(config, val_targets)
    val_prob = classifier.predict(val_images)
    config.threshold = select_threshold(val_rings, val_prob, settings.threshold_rule)
    config.metrics = {"validation": summarise(val_rings, val_prob, config.threshold), "history": history}
    config.training = {
        "data": data,
        "initial_model": initial_model,
        "settings": asdict(settings),
        "wall_time_s": round(time.time() - started, 1),
        "threshold_rule": settings.threshold_rule,
    }
    config = save_classifier(classifier.network, config, out_path)
    checkpoint.unlink(missing_ok=True)
    return config
