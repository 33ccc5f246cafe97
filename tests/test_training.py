"""ringsky train: settings, fine-tuning depth, augmentations, class balance, heads, checkpoints."""
import json
import math
import re

import numpy as np
import pytest
import torch
from astropy.table import Table

from conftest import assert_one_line_error, kill_once_checkpointed, run_cli
from ringsky.learn.datasets import affine, simulated_set
from ringsky.learn.evaluate import evaluate
from ringsky.learn.finetune import blocks, optimiser_groups
from ringsky.learn.metrics import crossval_threshold, select_threshold
from ringsky.learn.models import Classifier, ModelConfig, ModelFileError, build_network, load_classifier
from ringsky import RingskyError
from ringsky.simulate import RING_TYPES
from ringsky.learn.train import (TRAIN_SEED, VALIDATION_SEED, TrainSettings, _loss, class_balance, fit, load_settings,
                           settings_from, targets_for, train, with_injection, with_rehearsal)

TINY = {"input_size": 32, "n_train": 256, "n_validation": 64, "epochs": 2, "batch_size": 32, "workers": 1}


def test_toml_settings_with_command_line_overrides(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('architecture = "simple_cnn"\nepochs = 3\nunfrozen_blocks = 1\nlearning_rate = 1\n')
    settings = load_settings(path, {"epochs": 5})
    assert (settings.architecture, settings.epochs, settings.unfrozen_blocks) == ("simple_cnn", 5, 1)
    assert settings.learning_rate == 1.0 and isinstance(settings.learning_rate, float)
    assert load_settings(None, {"unfrozen_blocks": "2"}).unfrozen_blocks == 2


@pytest.mark.parametrize("values, fragment", [
    ({"epoch": 3}, "unknown setting 'epoch'"),
    ({"epochs": "ten"}, "epochs must be int"),
    ({"schedule": "linear"}, "schedule must be one of cosine, constant"),
    ({"unfrozen_blocks": "two"}, "unfrozen_blocks must be 'all'"),
    ({"threshold_rule": "precision:1.5"}, "threshold rule must be"),
    ({"balance": "oversample"}, "balance must be one of none, weight, sampler"),
    ({"rehearsal": -5}, "rehearsal must be a number of simulated galaxies >= 0"),
])
def test_bad_settings_are_refused(values, fragment):
    with pytest.raises(RingskyError, match=re.escape(fragment)):
        settings_from(values)


@pytest.mark.parametrize("text, option, fragment", [
    ("epochs = \n", [], "not valid TOML"),
    ("", ["--augment", "mixup"], "augment must be one of dihedral, affine"),
    ("", ["--rehearsal", "100"], "set labelled too"),
])
def test_bad_settings_are_one_line_errors_before_training(tmp_path, text, option, fragment):
    path = tmp_path / "run.toml"
    path.write_text(text)
    result = run_cli("train", "--config", path, *option, "--out", tmp_path / "m", check=False)
    assert_one_line_error(result, 1, fragment)
    assert not list(tmp_path.glob("m.*"))


def test_simple_cnn_is_three_conv_layers_and_one_linear_layer():
    network = build_network(ModelConfig(architecture="simple_cnn", channels=1))
    kinds = [type(m).__name__ for m in network.modules()]
    assert kinds.count("Conv2d") == 3 and kinds.count("Linear") == 1
    assert network(torch.zeros(2, 1, 64, 64)).shape == (2, 1)
    assert len(blocks(network)) == 4  # three conv blocks, then the head


@pytest.mark.parametrize("architecture, n_blocks", [("convnext_atto", 6), ("resnet18", 6), ("efficientnet_b0", 9),
                                                    ("simple_cnn", 4)])
def test_unfrozen_blocks_are_counted_from_the_head(architecture, n_blocks):
    network = build_network(ModelConfig(architecture=architecture, channels=1))
    ordered = blocks(network)
    assert len(ordered) == n_blocks
    head = set(ordered[-1])
    groups = optimiser_groups(network, 0, 0.05)
    trainable = {n for n, p in network.named_parameters() if p.requires_grad}
    assert trainable == head and len(groups) == 1
    groups = optimiser_groups(network, 2, 0.05, layer_decay=0.5)
    trainable = {n for n, p in network.named_parameters() if p.requires_grad}
    assert trainable == head | set(ordered[-2]) | set(ordered[-3])
    assert [g["lr_scale"] for g in groups] == [1.0, 0.5, 0.25]
    optimiser_groups(network, "all", 0.05)
    assert all(p.requires_grad for p in network.parameters())


def test_training_the_head_alone_leaves_the_frozen_blocks_and_their_statistics_untouched():
    config = ModelConfig(architecture="resnet18", input_size=32, channels=1)
    torch.manual_seed(0)
    classifier = Classifier(build_network(config), config)
    before = {k: v.clone() for k, v in classifier.network.state_dict().items()}
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    labels = np.tile([0.0, 1.0], 32).astype(np.float32)
    fit(classifier, (images, labels), (images[:16], labels[:16]),
        TrainSettings(epochs=1, batch_size=16, unfrozen_blocks=0), progress=False)
    after = classifier.network.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"fc.weight", "fc.bias"}  # batch-norm running means and variances included


def test_affine_augmentation_rotates_by_any_angle_zooms_and_shifts():
    size = 48
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    bar = torch.from_numpy(np.exp(-(x / 12) ** 2 - (y / 2) ** 2).astype(np.float32))[None, None].repeat(256, 1, 1, 1)
    out = affine(bar, torch.Generator().manual_seed(0), shift=0.0, noise=0.0)
    weights = out[:, 0].clamp(min=0).numpy()
    total = weights.sum(axis=(1, 2))
    angles = np.degrees([0.5 * math.atan2(2 * (w * x * y).sum(), (w * (x**2 - y**2)).sum()) for w in weights]) % 180
    off_axis = np.minimum(angles % 90, 90 - angles % 90)
    assert (off_axis > 10).mean() > 0.6  # not just 90 deg turns
    assert np.histogram(angles, bins=6, range=(0, 180))[0].min() > 20  # every orientation drawn
    assert total.max() / total.min() > 1.5  # zoom changes how much of the bar is in the frame
    still = affine(bar[:8], torch.Generator().manual_seed(1), zoom=(1, 1), shift=0.0, noise=0.0)
    centroids = [(w * x).sum() / w.sum() for w in still[:, 0].clamp(min=0).numpy()]
    assert np.abs(centroids).max() < 0.5
    moved = affine(bar[:64], torch.Generator().manual_seed(1), zoom=(1, 1), shift=0.2, noise=0.0)
    centroids = [(w * x).sum() / w.sum() for w in moved[:, 0].clamp(min=0).numpy()]
    assert np.abs(centroids).max() > 1.5


def test_class_balance_by_loss_weight_or_by_sampler():
    labels = torch.tensor([1.0] + [0.0] * 9)
    weight, draw = class_balance(ModelConfig(), labels, "weight")
    assert float(weight) == pytest.approx(9.0) and draw is None
    _, draw = class_balance(ModelConfig(), labels, "sampler")
    drawn = labels[torch.multinomial(draw, 10000, replacement=True, generator=torch.Generator().manual_seed(0))]
    assert 0.45 < float(drawn.mean()) < 0.55
    classes = ModelConfig(classes=["ring", "a", "b"])
    weight, _ = class_balance(classes, torch.tensor([0, 1, 1, 2, 2, 2, 2, 2, 2]), "weight")
    assert torch.allclose(weight, torch.tensor([3.0, 1.5, 0.5]))


def test_threshold_by_max_f1_or_by_target_precision():
    labels = np.array([0, 0, 0, 1, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.7, 0.6, 0.8, 0.9])
    assert select_threshold(labels, probabilities, "max-f1") == pytest.approx(0.6)
    assert select_threshold(labels, probabilities, "precision:0.75") == pytest.approx(0.6)
    assert select_threshold(labels, probabilities, "precision:1") == pytest.approx(0.8)
    with pytest.warns(UserWarning, match="no threshold reaches precision 1"):
        assert select_threshold([1, 0, 1], [0.2, 0.9, 0.5], "precision:1") == pytest.approx(0.2)  # 2/3 precise


def test_rehearsal_mixes_simulated_galaxies_into_labelled_training():
    config = ModelConfig(architecture="simple_cnn", input_size=32, channels=1)
    real = np.random.default_rng(0).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    targets = np.arange(10) % 2
    assert with_rehearsal(config, real, targets, TrainSettings(**TINY))[0] is real
    images, mixed = with_rehearsal(config, real, targets, TrainSettings(rehearsal=40, **TINY))
    sim_images, sim_labels, _ = simulated_set(40, TRAIN_SEED, 32)
    assert len(images) == len(mixed) == 80  # each labelled galaxy 4 times, then the 40 simulated ones
    assert np.array_equal(images[:40], np.repeat(real, 4, axis=0)) and np.array_equal(images[40:], sim_images)
    assert np.array_equal(mixed, np.concatenate([np.repeat(targets, 4), sim_labels]))


def test_injection_mixes_pictures_painted_into_the_training_non_rings(tmp_path):
    config = ModelConfig(architecture="simple_cnn", input_size=32, channels=3, crop=0.5)
    rng = np.random.default_rng(0)
    real = rng.integers(0, 60, (8, 64, 64, 3), dtype=np.uint8)
    real[:, 24:40, 24:40] += 120  # a galaxy at the centre of each cutout
    targets = (np.arange(8) % 2).astype(np.float32)
    images, mixed = with_injection(config, real, targets, TrainSettings(inject=16, **TINY))
    assert images.shape == (32, 32, 32, 3)  # the model's views: the central half of each cutout
    assert np.array_equal(images[:16], np.repeat(real[:, 16:48, 16:48], 2, axis=0))
    assert np.array_equal(mixed[:16], np.repeat(targets, 2))
    assert set(mixed[16:]) <= {0.0, 1.0} and 0 < mixed[16:].sum() < 16
    non_rings = real[targets == 0][:, 16:48, 16:48].astype(int)
    for picture in images[16:].astype(int):  # every injected picture is painted into a training non-ring
        assert min(np.abs(picture - host).mean() for host in non_rings) < 20
    with pytest.raises(RingskyError, match="choose one"):
        train(TrainSettings(inject=16, rehearsal=8, labelled="folder:x", **TINY), tmp_path / "m", progress=False)


def test_a_model_sees_the_central_crop_of_the_cutouts_it_is_given():
    config = ModelConfig(architecture="simple_cnn", input_size=32, channels=3, crop=0.5)
    assert config.picture_size == 64
    cutouts = np.random.default_rng(1).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    classifier = Classifier(build_network(config), config)
    assert torch.equal(classifier.inputs(cutouts), classifier.inputs(np.ascontiguousarray(cutouts[:, 16:48, 16:48])))


def test_training_on_every_labelled_galaxy_takes_its_threshold_from_crossval(tmp_path):
    run_cli("simulate", "--n", 24, "--seed", 5, "--npix", 32, "--out", tmp_path / "sim", "--workers", 1)
    options = ["--labelled", f"folder:{tmp_path / 'sim'}", "--architecture", "simple_cnn", "--input-size", 32,
               "--epochs", 2, "--batch-size", 8, "--lr", "1e-3", "--warmup-epochs", 1, "--no-holdout", "--quiet"]
    refused = run_cli("train", *options, "--out", tmp_path / "m", check=False)
    assert_one_line_error(refused, 1, "--threshold-from")
    run_cli("crossval", *options, "--folds", 3, "--out", tmp_path / "cv")
    other = run_cli("train", *options, "--epochs", 3, "--threshold-from", tmp_path / "cv", "--out", tmp_path / "m",
                    check=False)
    assert_one_line_error(other, 1, "another recipe (epochs: 2 there, 3 here)")
    result = run_cli("train", *options, "--threshold-from", tmp_path / "cv", "--out", tmp_path / "m")
    config = json.loads((tmp_path / "m.json").read_text())
    predictions = Table.read(tmp_path / "cv" / "predictions.ecsv", format="ascii.ecsv")
    expected = crossval_threshold(predictions["ring"], predictions["probability"])
    assert config["threshold"] == pytest.approx(expected["threshold"])
    assert config["metrics"]["crossval"]["expected_precision"] == pytest.approx(expected["expected_precision"])
    assert "model_roc_auc_mean" in config["metrics"]["crossval"]
    assert "24 training galaxies, all of them" in config["training"]["data"]
    assert len(config["metrics"]["history"]) == 2 and "val_roc_auc" not in config["metrics"]["history"][-1]
    assert "expected precision" in result.stdout


def test_a_fixed_seed_gives_the_same_model(tmp_path):
    settings = TrainSettings(architecture="simple_cnn", augment="affine", balance="sampler", **TINY)
    first = train(settings, tmp_path / "a", progress=False)
    second = train(settings, tmp_path / "b", progress=False)
    assert first.model_id == second.model_id
    assert not (tmp_path / "a.checkpoint.pt").exists()
    other = train(TrainSettings(architecture="simple_cnn", augment="affine", balance="sampler",
                                **{**TINY, "n_train": 288}), tmp_path / "c", progress=False)
    assert other.model_id != first.model_id


def test_a_morphology_head_gives_ring_probabilities_like_a_binary_one(tmp_path):
    config = train(TrainSettings(architecture="simple_cnn", task="morphology", **TINY), tmp_path / "m", progress=False)
    assert config.classes[0] == "ring" and len(config.classes) == 7
    classifier = load_classifier(tmp_path / "m")
    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    by_class = classifier.class_probabilities(images)
    assert by_class.shape == (8, 7) and np.allclose(by_class.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(classifier.predict(images), by_class[:, 0], atol=1e-5)
    assert 0 < config.threshold < 1 and "validation" in config.metrics
    images, labels, truth = simulated_set(64, VALIDATION_SEED, 32)
    summary = evaluate(classifier, images, labels, truth, config.threshold, tmp_path / "eval", "sim", resamples=20)
    predicted = np.array(config.classes)[classifier.class_probabilities(images).argmax(axis=1)]
    assert summary["morphology"]["accuracy"] == pytest.approx((predicted == np.asarray(truth["morphology"])).mean())
    assert set(summary["morphology"]["recall_by_class"]) == set(truth["morphology"])


def test_a_ring_type_head_beside_the_ring_head_is_scored_per_type(tmp_path, small_model):
    config = train(TrainSettings(architecture="simple_cnn", task="ring+type", **TINY), tmp_path / "m", progress=False)
    assert config.ring_types == list(RING_TYPES) and config.outputs == 1 + len(RING_TYPES)
    classifier = load_classifier(tmp_path / "m")
    images, labels, truth = simulated_set(64, VALIDATION_SEED, 32)
    by_type = classifier.type_probabilities(images)
    assert by_type.shape == (64, len(RING_TYPES)) and np.allclose(by_type.sum(axis=1), 1, atol=1e-5)
    ring_logit = classifier.outputs(classifier.inputs(images))[:, 0]
    assert np.allclose(classifier.predict(images), torch.sigmoid(ring_logit).numpy(), atol=1e-5)
    summary = evaluate(classifier, images, labels, truth, config.threshold, tmp_path / "eval", "sim", resamples=20)
    rings = labels == 1
    predicted = np.array(RING_TYPES)[by_type[rings].argmax(axis=1)]
    head = summary["ring_type_head"]
    assert head["n"] == rings.sum() and head["accuracy"] == pytest.approx((predicted == truth["ring_type"][rings]).mean())
    assert set(head["recall_by_type"]) == set(truth["ring_type"][rings])
    with pytest.raises(RingskyError, match="no ring-type head"):
        train(TrainSettings(init=str(small_model), task="ring+type", **TINY), tmp_path / "n", progress=False)


def test_the_ring_type_loss_counts_only_rings_of_a_known_type():
    config = ModelConfig(architecture="simple_cnn", ring_types=["inner", "outer"])
    table = Table({"ring_type": ["inner", "outer", "inner+pseudo", "", "outer"]})
    targets = targets_for(config, [1, 1, 1, 0, 0], table)
    assert targets.tolist() == [[1, 0], [1, 1], [1, -1], [0, -1], [0, -1]]  # a non-ring has no type
    outputs = torch.tensor([[2.0, 1.0, -1.0], [0.5, 0.0, 3.0], [1.0, 9.0, -9.0], [-1.0, 5.0, 0.0], [0.0, 0.0, 0.0]])
    y = torch.from_numpy(targets)
    ring = torch.nn.functional.binary_cross_entropy_with_logits(outputs[:, 0], y[:, 0])
    kind = torch.nn.functional.cross_entropy(outputs[:2, 1:], torch.tensor([0, 1]))
    assert torch.isclose(_loss(config, outputs, y, None), ring + kind)
    with pytest.raises(RingskyError, match="ring_type"):
        targets_for(config, [1], Table({"morphology": ["spiral"]}))


def test_a_killed_run_resumes_from_its_checkpoint_to_the_same_model(tmp_path):
    options = ["--architecture", "simple_cnn", "--input-size", "32", "--n-train", "256", "--n-validation", "64",
               "--epochs", "6", "--batch-size", "16", "--workers", "1", "--augment", "affine", "--quiet"]
    whole = run_cli("train", *options, "--out", tmp_path / "whole")
    out = tmp_path / "killed"
    checkpoint = out.with_suffix(".checkpoint.pt")
    kill_once_checkpointed(["train", *options, "--out", out], checkpoint)
    assert checkpoint.exists() and not out.with_suffix(".json").exists(), "the run ended before it could be killed"
    assert torch.load(checkpoint, weights_only=True)["epoch"] < 6

    changed = run_cli("train", *options, "--lr", "0.01", "--out", out, check=False)
    assert_one_line_error(changed, 1, "other settings (learning_rate)")
    run_cli("train", *options, "--out", out)
    assert not checkpoint.exists()
    model_id = json.loads(out.with_suffix(".json").read_text())["model_id"]
    assert model_id == json.loads((tmp_path / "whole.json").read_text())["model_id"], whole.stdout


def test_training_starts_from_an_encoder_weights_file_on_disk(tmp_path):
    import timm
    from safetensors.torch import save_file

    imagenet_like = timm.create_model("convnext_atto", pretrained=False)  # 1000 classes, RGB: as downloaded
    state = {k: v.contiguous() for k, v in imagenet_like.state_dict().items()}
    save_file(state, tmp_path / "encoder.safetensors")
    torch.save({"state_dict": state}, tmp_path / "encoder.pth")
    for weights in ("encoder.safetensors", "encoder.pth"):
        network = build_network(ModelConfig(architecture="convnext_atto", channels=1), weights=tmp_path / weights)
        assert torch.allclose(network.stem[0].weight, state["stem.0.weight"].sum(1, keepdim=True))  # RGB -> grey
        assert torch.equal(network.stages[3].blocks[1].mlp.fc2.weight, state["stages.3.blocks.1.mlp.fc2.weight"])
        assert network.head.fc.weight.shape == (1, 320)
    with pytest.raises(ModelFileError, match="does not fit resnet18: .* missing"):
        build_network(ModelConfig(architecture="resnet18"), weights=tmp_path / "encoder.safetensors")
    with pytest.raises(ModelFileError, match="no pretrained encoder"):
        build_network(ModelConfig(architecture="simple_cnn"), weights=tmp_path / "encoder.safetensors")
    config = train(TrainSettings(architecture="convnext_atto", init=str(tmp_path / "encoder.safetensors"),
                                 unfrozen_blocks=1, **{**TINY, "epochs": 1}), tmp_path / "tuned", progress=False)
    assert config.training["initial_model"].startswith("encoder.safetensors (sha256 ")
