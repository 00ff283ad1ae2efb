# The README's commands. Needs only python3 (>= 3.10) and make.
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PROFILE ?= smoke
ONLY    ?= all

.PHONY: setup reproduce test paper-shapes bench book book-check clean
setup: $(VENV)/.installed

# pyiqa is installed without its declared dependencies (~1.2 GB: transformers, bitsandbytes,
# pyarrow, numba...): NIQE, MS-SSIM, NRQM/PI and its MATLAB-imresize port need only torch,
# torchvision, scipy, opencv-python-headless and huggingface_hub, all in pyproject.toml.
# Set-up prints one line per step; pip's full output goes to $(SETUP_LOG) and its tail is shown
# when a step fails. Warnings other than the known-harmless ones below are still shown.
PIP       = $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off
SETUP_LOG = $(VENV)/setup.log
TORCH    := $(shell sed -n 's/^ *"torch==\([^"]*\)".*/\1/p' pyproject.toml)
HARMLESS  = Running pip as the 'root' user|is ignored: it is neither a file nor a directory|A new release of pip
$(VENV)/.installed: pyproject.toml
	@echo "setup: installing into $(abspath $(VENV))/ only (nothing system-wide), with $$($(PYTHON) --version 2>&1):"
	@echo "  paperlib (editable: this folder) with pyproject.toml's dependencies: torch $(TORCH) and its CUDA"
	@echo "  libraries (the bulk: about 3-4 GB to download, 6 GB on disk), numpy/scipy/scikit-image, pydicom,"
	@echo "  pandas, matplotlib, jupyterlab, papermill, pooch; pytest and nbval; pyiqa 0.1.16 without its"
	@echo "  dependencies; a Jupyter kernel 'python3' inside $(VENV)/. First run: about 5-15 minutes."
	@mkdir -p $(VENV); : > $(SETUP_LOG); t0=$$(date +%s); \
	step() { msg=$$1; shift; printf '  %-50s' "$$msg"; s=$$(date +%s); \
	  if "$$@" > $(SETUP_LOG).step 2>&1; then \
	    cat $(SETUP_LOG).step >> $(SETUP_LOG); echo " ok ($$(( $$(date +%s) - s )) s)"; \
	    grep -E '^(WARNING|DEPRECATION|ERROR)' $(SETUP_LOG).step | grep -vE "$(HARMLESS)" | sed 's/^/    /'; \
	  else rc=$$?; cat $(SETUP_LOG).step >> $(SETUP_LOG); echo " FAILED (exit status $$rc)"; \
	    echo "---- last 40 lines of $(SETUP_LOG) ----"; tail -n 40 $(SETUP_LOG); exit $$rc; fi; }; \
	step "virtual environment $(VENV)/" sh -c 'test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)'; \
	step "pip (upgrade)" $(PIP) --upgrade pip; \
	step "paperlib[dev] + dependencies (torch $(TORCH))" $(PIP) -e ".[dev]"; \
	step "pyiqa 0.1.16 (--no-deps)" $(PIP) --no-deps pyiqa==0.1.16; \
	step "Jupyter kernel 'python3' (in $(VENV)/)" $(BIN)/python -m ipykernel install --sys-prefix --name python3; \
	rm -f $(SETUP_LOG).step; echo "setup: done in $$(( $$(date +%s) - t0 )) s (full log: $(SETUP_LOG))"
	@touch $@

reproduce: setup  ## run every notebook headlessly (PROFILE=smoke|quick|paper, ONLY=all|dridsr|idman, TRAIN_JOBS=N)
	$(BIN)/paperlib reproduce --profile $(PROFILE) --only $(ONLY) $(if $(TRAIN_JOBS),--train-jobs $(TRAIN_JOBS))

test: setup  ## unit, golden, bad-input, resume and notebook (nbval) tests
	$(BIN)/ruff check . && $(BIN)/ruff format --check --quiet .
	$(BIN)/python -m pytest -q tests notebooks/dridsr notebooks/idman notebooks/claims.ipynb notebooks/teaching --nbval-lax --nbval-current-env

# The paper profile at the papers' model, patch and batch sizes, but for 2 iterations, 1 seed and 2 evaluation
# images (paperlib.profiles.CAP_ENV): does every notebook work at those shapes? A check, never a result: outputs
# go to figures/<paper>/paper-capped/ (ignored by git) and the README is left alone. ONLY=dridsr takes about
# 20 minutes on 2 CPU cores. ONLY=idman is hours, not minutes: on the 2-core AMD EPYC (one thread, beside other
# jobs) 01 took 23 s; 02 108 min (11 trainings at up to 85 M parameters 57 min, their evaluation on 2 whole slices
# 51 min); 03 trained its 26 runs in 26 min, and its evaluation (29 models x 3 test sets x 2 whole slices) had
# done the 9 smallest models after 23 min. The evaluation of whole slices at paper size is what costs, so the cap
# now also evaluates (and validates) on 240 x 240 centre crops (crop=240; the models keep the papers' sizes): with
# the trainings already in runs/ (their keys leave the cap's crop out), 01 21 s, 02 445 s, 03 612 s, all passed
# (bench/results/paper_shapes_idman_2026-12-07_181154.json); from an empty runs/ add the trainings (57 + 26 min).
CAP ?= iterations=2,seeds=1,images=2,crop=240
paper-shapes: setup  ## the paper profile capped to a few iterations/seeds/images: every notebook at paper shapes
	PAPERLIB_CAP=$(CAP) $(BIN)/paperlib reproduce --profile paper --only $(ONLY)
	cp $${PAPERLIB_RUNS:-runs}/executed/paper/summary.json bench/results/paper_shapes_$(ONLY)_$$(date -u +%Y-%m-%d_%H%M%S).json

bench: setup  ## CPU/GPU performance suite (prints a table, writes bench/results/*.json)
	$(BIN)/python -m bench.run

# The book renders the executed notebooks committed in book/executed/ (`paperlib publish` copies them
# from runs/executed/<profile>/); it executes nothing. Jupyter Book 1.x (Sphinx) builds offline.
$(VENV)/.book-installed: $(VENV)/.installed
	@printf '  %-50s' "paperlib[book]: jupyter-book 1.x (in $(VENV)/)"; s=$$(date +%s); \
	if $(PIP) -e ".[dev,book]" > $(SETUP_LOG).step 2>&1; then \
	  cat $(SETUP_LOG).step >> $(SETUP_LOG); echo " ok ($$(( $$(date +%s) - s )) s)"; rm -f $(SETUP_LOG).step; \
	else rc=$$?; cat $(SETUP_LOG).step >> $(SETUP_LOG); echo " FAILED (exit status $$rc)"; \
	  echo "---- last 40 lines of $(SETUP_LOG) ----"; tail -n 40 $(SETUP_LOG); exit $$rc; fi
	@touch $@

book: $(VENV)/.book-installed  ## static HTML site of the executed notebooks -> book/_build/html/
	@t0=$$(date +%s); mkdir -p book/_build; $(BIN)/jupyter-book build book --all --builder html > book/_build/build.log 2>&1 \
	  || { tail -n 40 book/_build/build.log; echo "book: FAILED (full log: book/_build/build.log)"; exit 1; }; \
	grep -E "WARNING|ERROR" book/_build/build.log | sed 's/^/  /'; \
	echo "book: book/_build/html/index.html in $$(( $$(date +%s) - t0 )) s (log: book/_build/build.log)"

book-check: book  ## headless Chromium: no broken image, screenshot figures/book/table_page.png
	$(BIN)/python book/check_site.py

clean:
	rm -rf $(VENV) runs cache
