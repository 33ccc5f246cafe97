import json

import numpy as np
import pytest
from conftest import REPO

from ringsky.learn.metrics import best_f1_threshold, summarise
from ringsky.learn.models import DEFAULT_MODEL, Classifier, ModelConfig, ModelFileError, build_network, load_classifier, save_classifier


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny"
    config = ModelConfig(architecture="convnext_atto", input_size=32, threshold=0.4)
    network = build_network(config)
    return save_classifier(network, config, path), Classifier(network, config), path


def test_timm_imports_despite_the_broken_torchvision_ops():
    import timm  # noqa: F401  (ringsky.learn.models was imported first, as in every entry point)

    assert timm.create_model("resnet10t", pretrained=False, num_classes=1) is not None


def test_save_load_round_trip(saved):
    config, classifier, path = saved
    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    loaded = load_classifier(path.with_suffix(".json"))
    assert loaded.config.model_id == config.model_id and config.model_id.startswith("convnext_atto-")
    assert loaded.config.threshold == 0.4
    assert np.array_equal(classifier.predict(images), loaded.predict(images))
    assert ((loaded.predict(images) >= 0) & (loaded.predict(images) <= 1)).all()


def test_missing_malformed_and_damaged_model_files(saved, tmp_path):
    _, _, path = saved
    with pytest.raises(ModelFileError, match="not found"):
        load_classifier(tmp_path / "absent.json")
    bad = tmp_path / "bad"
    bad.with_suffix(".json").write_text("{not json")
    bad.with_suffix(".safetensors").write_bytes(path.with_suffix(".safetensors").read_bytes())
    with pytest.raises(ModelFileError, match="malformed"):
        load_classifier(bad)
    bad.with_suffix(".json").write_text(path.with_suffix(".json").read_text())
    bad.with_suffix(".safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(ModelFileError, match="cannot load model weights"):
        load_classifier(bad)


def test_shipped_model_is_small_and_documented():
    weights = DEFAULT_MODEL.with_suffix(".safetensors")
    assert weights.stat().st_size <= 30 * 1024**2
    config = json.loads(DEFAULT_MODEL.read_text())
    for key in ("architecture", "input_size", "channels", "mean", "std", "threshold", "training", "metrics", "model_id"):
        assert key in config
    assert 0 < config["threshold"] < 1
    # its figures are the cross-validated real-image ones that the model card quotes
    crossval = config["metrics"]["crossval"]
    assert crossval["threshold"] == config["threshold"]
    hits, false_alarms = crossval["recall"] * crossval["ring_fraction"], \
        crossval["false_positive_rate"] * (1 - crossval["ring_fraction"])
    assert crossval["expected_precision"] == pytest.approx(hits / (hits + false_alarms))
    card = (REPO / "docs" / "model_card.md").read_text()
    assert config["model_id"] in card and f"{crossval['model_roc_auc_mean']:.3f}" in card
    assert f"{crossval['baseline_colour_controlled_auc_mean']:.3f}" in card


def test_metrics_on_a_known_case():
    labels = np.array([0, 0, 0, 1, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.7, 0.6, 0.8, 0.9])
    summary = summarise(labels, probabilities, 0.65)
    assert summary["roc_auc"] == pytest.approx(8 / 9)
    assert summary["confusion"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 2}
    assert summary["precision"] == pytest.approx(2 / 3) and summary["recall"] == pytest.approx(2 / 3)
    assert (summary["n_ring"], summary["n_not_ring"]) == (3, 3)
    assert best_f1_threshold(labels, probabilities) == pytest.approx(0.6)


@pytest.mark.parametrize("change, message", [
    ({"architecture": 3}, "architecture must be the name of a timm model"),
    ({"architecture": "no_such_net"}, "architecture must be"),
    ({"channels": 2}, "channels must be 1, 3 or 5, not 2"),
    ({"classes": ["elliptical", "spiral"]}, "classes must be a list of class names that holds"),
    ({"input_size": 0}, "input_size must be a whole number"),
    ({"input_size": "32"}, "input_size must be a whole number"),
    ({"threshold": "0.5"}, "threshold must be a number in [0, 1], not '0.5'"),
    ({"threshold": 1.5}, "threshold must be a number in [0, 1]"),
    ({"crop": 0}, "crop must be a number in (0, 1]"),
    ({"std": 0}, "std must be a number above 0"),
    ({"colour": "red"}, "unknown field(s) colour"),
])
def test_a_model_json_with_wrong_types_or_ranges_is_one_error_naming_the_field(tmp_path, small_model, change,
                                                                                 message):
    import shutil

    for suffix in (".json", ".safetensors"):
        shutil.copy(small_model.with_suffix(suffix), tmp_path / f"edited{suffix}")
    values = json.loads(small_model.read_text())
    (tmp_path / "edited.json").write_text(json.dumps({**values, **change}))
    with pytest.raises(ModelFileError, match="malformed model config") as error:
        load_classifier(tmp_path / "edited.json")
    assert message in str(error.value) and "\n" not in str(error.value)
