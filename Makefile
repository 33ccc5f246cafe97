# make demo: set up .venv and run the main job on the embedded simulated sky.
# make test: set up .venv (with test extras) and run the test suite.
# Both also fetch Aladin Lite (LGPL-3.0) for the explorer with npm; it is not committed.
# make model: retrain the shipped model on ../shared/data (docs/model_card.md): pretrain an encoder on
#   the SDSS pictures, cross-validate the recipe on the real cutouts (its threshold), train on all of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

ALADIN_VERSION := 3.8.2
ALADIN_SHA256 := bed9c8ef1d1e83501b1cb782366092c72c5ecd1c88f16fef3166188ae8062066
ALADIN_JS := app/static/aladin.js

SHARED := ../shared/data
ENCODER := work/encoders/sdss-lite0-96
RECIPE := --init $(ENCODER) --input-size 96 --crop 0.6 --inject 2000 --epochs 4 --batch-size 32 --lr 1e-3 \
	--warmup-epochs 1 --no-holdout
CROSSVAL := docs/evaluation/leaderboard/sdss-pretrained-injected

.PHONY: demo test install clean model

$(BIN)/ringsky: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[app,test,imagenet]'
	touch $@

$(ALADIN_JS):
	rm -rf build/aladin && mkdir -p build/aladin app/static
	cd build/aladin && npm pack --silent aladin-lite@$(ALADIN_VERSION) >/dev/null && tar xzf aladin-lite-$(ALADIN_VERSION).tgz
	echo "$(ALADIN_SHA256)  build/aladin/package/dist/aladin.js" | sha256sum --check --quiet
	cp build/aladin/package/dist/aladin.js $@

install: $(BIN)/ringsky $(ALADIN_JS)

demo: install
	$(BIN)/ringsky demo

test: install
	$(BIN)/python -m pytest

model: install
	[ -f $(ENCODER).json ] || $(BIN)/ringsky pretrain --pictures folder:$(SHARED)/sdss-galaxies --epochs 3 \
		--input-size 96 --out $(ENCODER)
	[ -f $(CROSSVAL)/predictions.ecsv ] || $(BIN)/ringsky crossval --labelled folder:$(SHARED)/gz-decals-rings \
		--seeds 0,1,2 $(RECIPE) --out $(CROSSVAL)
	$(BIN)/ringsky train --labelled folder:$(SHARED)/gz-decals-rings $(RECIPE) --threshold-from $(CROSSVAL) \
		--out ringsky/data/ringsky-default

clean:
	rm -rf $(VENV) work build $(ALADIN_JS)
