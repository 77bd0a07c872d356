# Kinora Studio: every command a developer or CI needs. See README.md and CONTRIBUTING.md.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Shared libraries Qt needs offscreen, plus what the screenshot script and xcb under Xvfb use;
# libpulse0 for the player's sound (QtMultimedia, when PySide6-Addons is installed).
DEBIAN_PACKAGES := libegl1 libgl1 libopengl0 libxkbcommon0 libfontconfig1 fonts-dejavu-core \
                   libdbus-1-3 libglib2.0-0 xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 \
                   libpulse0
PYTEST := QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

.PHONY: run test install lint unit-tests studio-tests-without-torch debian-packages \
        bench screenshots train-demo eval-demo package clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch is pinned to the CPU wheel that ships with this machine image; never pull a newer one.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Start the studio with the bundled demo model.
run: install
	$(BIN)/studio

## Install everything (Debian packages included) and run every test offscreen.
test: install debian-packages lint unit-tests studio-tests-without-torch

debian-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

unit-tests: install
	$(PYTEST) tests

# The GUI process must work with torch absent: run the studio's tests again with torch,
# diffusers and transformers made unimportable in the test process.
studio-tests-without-torch: install
	KINORA_BLOCK_TORCH=1 $(PYTEST) tests/studio -m "not slow" -q

bench: install
	$(BIN)/python -m bench.run_all

screenshots: install debian-packages
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py

## Train the demo model (hours on a CPU; resumes from runs/demo). Never part of `make test`.
train-demo: install
	nice -n 19 $(BIN)/python -m engine.demo_model.train --out runs/demo --resume --minutes $(or $(MINUTES),120)
	nice -n 19 $(BIN)/python -m engine.demo_model.train_sr --out runs/demo-sr --resume --minutes 20 --lr 5e-4
	nice -n 19 $(BIN)/python -m engine.demo_model.train_planner --out runs/planner --resume
	$(BIN)/python -m engine.demo_model.export runs/demo resources/models/kinora-demo --sr runs/demo-sr --planner runs/planner
	$(BIN)/python -m engine.demo_model.gallery resources/models/kinora-demo resources/models/kinora-demo/gallery.png

eval-demo: install
	HF_HUB_OFFLINE=1 $(BIN)/python bench/demo_quality.py --out resources/models/kinora-demo/eval.json

package: install
	$(BIN)/python -m pip install -q 'pyinstaller>=6.10'
	$(BIN)/pyinstaller --noconfirm packaging/kinora.spec

clean:
	rm -rf build dist .pytest_cache .ruff_cache
