"""Let ``import timm`` work with a torchvision build whose compiled ops do not load.

pip resolves ``timm`` to a CUDA torchvision wheel; beside the CPU torch its C++ ops are
missing, and ``torchvision/_meta_registrations.py`` then fails on import with
``operator torchvision::nms does not exist``. Defining the two op schemas it registers fake
kernels for is enough for torchvision (and timm) to import. ringsky never calls these ops.
Import this module before the first ``import timm``; it does nothing when the ops exist.
"""
import torch

_MISSING_OPS = ("nms", "qnms")

if not hasattr(torch.ops.torchvision, "nms"):
    _library = torch.library.Library("torchvision", "DEF")
    for _op in _MISSING_OPS:
        _library.define(f"{_op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
