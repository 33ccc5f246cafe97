# make demo: set up .venv and run the main job on the embedded simulated sky.
# make test: set up .venv (with test extras) and run the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test install clean

$(BIN)/ringsky: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(BIN)/ringsky

demo: install
	$(BIN)/ringsky demo

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) work
