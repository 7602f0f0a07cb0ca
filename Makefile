# Scaling Workbook. The two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RESULTS ?= data/results

SPECS ?= examples/quick.yaml

.PHONY: help install demo test lint format bench lab batch notebooks browser gpu-check clean

help:
	@echo "make demo   set up, run the example study on a local Dask cluster, print its summary"
	@echo "make test   set up, lint, run the test suite"
	@echo "make bench  run the benchmarks under benchmarks/"
	@echo "make lint   ruff check and format check"
	@echo "make lab    JupyterLab on 127.0.0.1 with the notebooks (kernel: Scaling Workbook)"
	@echo "make batch  run SPECS through the notebooks with papermill (SPECS=examples/quick.yaml)"
	@echo "make gpu-check  on a GPU machine: GPU tests, then CPU-vs-GPU array and XGBoost studies"

# The environment: a venv with the package (editable) and the dev tools.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# Byte-compiled at install: this environment sets PYTHONDONTWRITEBYTECODE, so a module
	# left uncompiled is compiled again by every process that imports it.
	$(BIN)/python -m pip install -q -e ".[dev,ml]"
	# The notebooks' kernel: this environment, registered inside it as "scaling-workbook".
	$(BIN)/python -m ipykernel install --sys-prefix --name scaling-workbook \
		--display-name "Scaling Workbook (.venv)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

PORT ?= 5006

demo: $(STAMP)
	$(BIN)/scaling-lib run examples/quick.yaml --results $(RESULTS)
	$(BIN)/scaling-lib show quick --results $(RESULTS)
	$(BIN)/scaling-lib analyze quick --results $(RESULTS)
	@echo ""
	@echo "Dashboard of the study: http://127.0.0.1:$(PORT)/?study=quick   (Ctrl-C stops it)"
	$(BIN)/scaling-lib serve --results $(RESULTS) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian's chromium for the dashboard's browser tests (Playwright drives it; it never
# downloads a browser). Installed when missing and this user may use apt-get.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium not installed: browser tests will be skipped (sudo apt-get install chromium)"; \
		fi; }

# Two test files at a time (pytest-xdist), each file on one process so that its
# module fixtures (a measured study, an executed notebook) are built once.
test: $(STAMP) lint browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/prediction.py
	$(BIN)/python benchmarks/coverage.py --real
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/strategies.py
	$(BIN)/python benchmarks/autoscale.py
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/simulate_speed.py
	$(BIN)/python benchmarks/pipelines.py

# On a machine with an NVIDIA GPU (CUDA 12 driver): the gpu extra, the GPU tests, a
# small CPU-vs-GPU array study with its comparison and recommendation, and an XGBoost
# point (device cuda) beside the same training on CPU workers. The extras are installed
# only when missing (offline: PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR-of-wheels make gpu-check).
gpu-check: $(STAMP)
	$(BIN)/python -c "import dask_cuda, cupy, pynvml, xgboost; \
		assert xgboost.build_info()['USE_CUDA']" 2>/dev/null || { \
		$(BIN)/python -m pip uninstall -q -y xgboost-cpu; \
		$(BIN)/python -m pip install -q -e ".[gpu,dev]" "lightgbm[dask,scikit-learn]>=4.7"; }
	$(BIN)/python -m pytest -m gpu tests/gpu -q -p no:cacheprovider
	$(BIN)/python benchmarks/gpu_vs_cpu.py --results $(RESULTS)
	$(BIN)/python benchmarks/gpu_xgboost.py --results $(RESULTS)

lab: $(STAMP)
	$(BIN)/jupyter lab --ip 127.0.0.1 --no-browser --notebook-dir notebooks \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

batch: $(STAMP)
	$(BIN)/scaling-lib batch $(SPECS) --results $(RESULTS)

# Regenerate each notebook's .ipynb (no outputs) from its py:percent pair.
notebooks: $(STAMP)
	for f in notebooks/*.py; do $(BIN)/jupytext --to notebook -q "$$f"; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dask-scratch-space
