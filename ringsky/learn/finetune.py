"""Which parameters train, and how fast: fine-tuning depth and layer-wise learning-rate decay.

A block is one of timm's coarse parameter groups (stem, each stage or layer, head), so the same
rule holds for ConvNeXt, EfficientNet, ResNet and the SimpleCNN baseline. Depth is counted from
the head: 0 trains the head alone, 1 the head and the last block, "all" everything.
"""
import torch

from . import _torchvision_compat  # noqa: F401  (must precede the first timm import)
from timm.models import group_parameters  # noqa: E402


def blocks(network):
    """Parameter names per block, from the stem to the head (timm puts unmatched names, the
    head's, in the last group)."""
    groups = group_parameters(network, network.group_matcher(coarse=True))
    return [groups[k] for k in sorted(groups)]


def optimiser_groups(network, unfrozen_blocks, weight_decay, layer_decay=1.0):
    """AdamW parameter groups: the head and the last ``unfrozen_blocks`` blocks before it train,
    the rest are frozen (``requires_grad`` off); a block k steps from the head learns at
    ``layer_decay ** k`` times the scheduled rate (its ``lr_scale``)."""
    named = dict(network.named_parameters())
    ordered = blocks(network)
    depth = len(ordered) - 1 if unfrozen_blocks == "all" else min(int(unfrozen_blocks), len(ordered) - 1)
    groups = []
    for distance, names in enumerate(reversed(ordered)):
        trainable = distance <= depth
        for name in names:
            named[name].requires_grad_(trainable)
        if trainable:
            groups.append({"params": [named[name] for name in names], "weight_decay": weight_decay,
                           "lr_scale": layer_decay ** distance})
    return groups


def keep_frozen_statistics(network):
    """Put batch-norm layers whose parameters are all frozen back in eval mode, so training
    does not shift the running statistics of blocks that are not being trained."""
    for module in network.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            if not any(p.requires_grad for p in module.parameters()):
                module.eval()
