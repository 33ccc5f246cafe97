"""SimpleCNN: the seed plan's baseline (three conv blocks, one fully connected layer),
registered with timm so that it is built, frozen, saved and loaded like any timm backbone.
"""
import torch
from timm.models import register_model
from torch import nn


class SimpleCNN(nn.Module):
    """conv-BN-ReLU-maxpool x 3 (32, 64, 128 channels), global average pool, one linear layer."""

    def __init__(self, num_classes=1, in_chans=3, widths=(32, 64, 128), **_):
        super().__init__()
        layers, previous = [], in_chans
        for width in widths:
            layers.append(nn.Sequential(nn.Conv2d(previous, width, 3, padding=1, bias=False),
                                        nn.BatchNorm2d(width), nn.ReLU(inplace=True), nn.MaxPool2d(2)))
            previous = width
        self.blocks = nn.Sequential(*layers)
        self.num_features = previous
        self.fc = nn.Linear(previous, num_classes)

    def group_matcher(self, coarse=False):
        """Parameter groups for freezing and layer-wise learning rates, as timm models give them:
        each conv block is a group; the head (``fc``) is left unmatched, so it comes last."""
        return {"blocks": r"^blocks\.(\d+)"}

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.blocks(x), 1), 1))


@register_model
def simple_cnn(pretrained=False, **kwargs):
    """The registry entry: ``timm.create_model("simple_cnn", num_classes=1, in_chans=1)``."""
    return SimpleCNN(**kwargs)
