# The README's commands. Needs only python3 (>= 3.10) and make.
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PROFILE ?= smoke
ONLY    ?= all

.PHONY: setup reproduce test bench clean
setup: $(VENV)/.installed

# pyiqa is installed without its declared dependencies (~1.2 GB: transformers, bitsandbytes,
# pyarrow, numba...): NIQE, MS-SSIM, NRQM/PI and its MATLAB-imresize port need only torch,
# torchvision, scipy, opencv-python-headless and huggingface_hub, all in pyproject.toml.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps pyiqa==0.1.16
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

reproduce: setup  ## run every notebook headlessly (PROFILE=smoke|quick|paper, ONLY=all|dridsr|idman)
	$(BIN)/paperlib reproduce --profile $(PROFILE) --only $(ONLY)

test: setup  ## unit, golden, bad-input, resume and notebook (nbval) tests
	$(BIN)/python -m pytest -q tests notebooks/dridsr --nbval-lax --nbval-current-env

bench: setup  ## CPU/GPU performance suite (prints a table, writes bench/results/*.json)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) runs cache
