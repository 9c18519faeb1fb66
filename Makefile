# qnn-fpga: `make demo` and `make test` set everything up themselves (virtual environment, Debian tools).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
QNN := $(VENV)/bin/qnn
STAMP := $(VENV)/.installed
# Debian packages: command -> package
SYSDEPS := iverilog:iverilog yosys:yosys nextpnr-ice40:nextpnr-ice40 icepack:fpga-icestorm espeak-ng:espeak-ng g++:g++ \
           chromium:chromium
DEMO_RUN ?= runs/demo
PYTEST_WORKERS ?= 2

.PHONY: all setup sysdeps demo test test-hw test-all bench lint clean

all: test

setup: sysdeps $(STAMP)

sysdeps:
	@missing=""; for pair in $(SYSDEPS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; fi

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# the whole flow on embedded data: train -> export -> IR -> golden -> hls4ml C sim -> RTL -> Verilator -> Yosys -> report
demo: setup
	$(QNN) flow $(DEMO_RUN) --model mlp --hidden 32,32 -w 2 -a 2 --epochs 10 --float-baseline \
	    --target-cycles 1568 --sim-vectors 100 --threads 1
	$(QNN) eval $(DEMO_RUN)

test: setup
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS)

# The hardware gate, run by CI after `make test` (.ci/run): the heavy tests (markers slow, rtl, hls, synth) that a
# change must pass to land: the whole flow (train -> synth), the core grids and the networks on Verilator and Icarus
# (TFC, CNN, DS-CNN, SPRAM), the property suite's hardware sample (hls4ml C sim and RTL of generated MLP/CNN/DS-CNN
# networks), hls4ml C simulation of the DS-CNN, the synthesized netlist against golden, the simulated board,
# Yosys + nextpnr (a tiny network, the iCEBreaker bitstream) and the flow from an installed wheel (tests/test_wheel.py).
# Left out, as too long for every change (`make test-all` runs them): the property suite's 600-network and
# 1000-Brevitas-model runs, the Ray sweep (needs the `distributed` extra) and hls4ml C simulation of the whole
# 10,000-image MNIST test set (9 networks, about 20 minutes of test time; it runs only where ../shared/data or QNN_DATA
# holds MNIST, which would also make the gate's length depend on the machine). Measured: README, "Tests".
HW_MARKERS := slow or rtl or hls or synth
HW_LEFT_OUT := tests/property/test_properties.py::test_more_networks_properties \
               tests/property/test_brevitas_props.py::test_brevitas_models_more \
               tests/test_sweep.py::test_ray_executor_on_a_local_instance_gives_the_same_table \
               tests/test_hls_csim.py::test_full_mnist_bit_exact
test-hw: setup
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) -m "$(HW_MARKERS)" $(addprefix --deselect ,$(HW_LEFT_OUT)) --durations=10

# every test (markers slow, rtl, hls, synth included), with Ray for the distributed sweep test
test-all: setup
	$(PY) -m pip install -q -e '.[dev,distributed]'
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) -m ""

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; QNN_DATA=$${QNN_DATA:-../shared/data} $(PY) $$b || exit 1; done
	@echo "results in bench/results/"

lint: setup
	$(VENV)/bin/ruff check qnn hls sim tests bench

clean:
	rm -rf runs build sim_build .pytest_cache bench/results
