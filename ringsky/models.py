"""Classifiers and their files: timm backbones with a one-logit ring head.

A model on disk is two files side by side: ``NAME.safetensors`` (weights, never pickled)
and ``NAME.json`` (architecture, input size, channels, normalisation, threshold, training
data, metrics). ``load_classifier`` checks both and says in one line what is wrong.
"""
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import RingskyError
from . import _torchvision_compat  # noqa: F401  (must precede the first timm import)
from .fileio import atomic_path
from .imaging import to_model_input

DEFAULT_MODEL = Path(__file__).parent / "data" / "ringsky-default.json"


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
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    model_id: str = ""

    def untrained(self):
        """The same network shape and input (architecture, size, channels, normalisation)
        without this model's threshold, metrics, training record or id."""
        return ModelConfig(architecture=self.architecture, input_size=self.input_size, channels=self.channels,
                           mean=self.mean, std=self.std)


def build_network(config):
    """An untrained network for ``config`` (no weights are ever downloaded)."""
    import timm

    try:
        return timm.create_model(config.architecture, pretrained=False, num_classes=1,
                                 in_chans=config.channels)
    except RuntimeError as error:
        raise ModelFileError(f"unknown architecture {config.architecture!r}: {error}") from error


def _paths(path):
    path = Path(path)
    return path.with_suffix(".safetensors"), path.with_suffix(".json")


def save_classifier(network, config, path):
    """Write weights and config atomically; the model id is a hash of the weights."""
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


def load_classifier(path=None):
    """A ready-to-use Classifier from ``path`` (either file of the pair), default: the shipped model."""
    from safetensors.torch import load_file

    weights_path, config_path = _paths(path or DEFAULT_MODEL)
    for p in (config_path, weights_path):
        if not p.is_file():
            raise ModelFileError(f"model file not found: {p}")
    try:
        config = ModelConfig(**json.loads(config_path.read_text()))
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
        """uint8 (N, H, W, 3) -> the normalised float tensor the network expects."""
        c = self.config
        return torch.from_numpy(to_model_input(images, c.channels, c.mean, c.std))

    def logits(self, batch):
        """Raw outputs for a prepared tensor batch, in bf16 autocast (measured faster on CPU)."""
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return self.network(batch.to(memory_format=torch.channels_last)).float().squeeze(1)

    def probabilities(self, batch):
        """Ring probability for each image of a prepared tensor batch, as float32 numpy."""
        return torch.sigmoid(self.logits(batch)).numpy()

    def predict(self, images, batch_size=256):
        """Ring probability for each uint8 picture."""
        out = [self.probabilities(self.inputs(images[i:i + batch_size])) for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.empty(0, dtype=np.float32)
