# Task runner. The C is built by Meson into build/; `build/radiograph` runs
# from the source tree.
PYTHON ?= python3
BUILD ?= build

.PHONY: setup build demo test test-c test-py bench clean

# Once per machine: the compiler, zlib, Chromium and Go from Debian's
# packages where missing, and requirements-dev.txt from PyPI (tools/setup.sh).
setup:
	PYTHON=$(PYTHON) sh tools/setup.sh

build:
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	ninja -C $(BUILD)

demo: build
	@rm -rf demo-report
	./$(BUILD)/radiograph run -o demo-report examples/demo_job.py
	@echo "open demo-report/index.html"

test: build
	meson test -C $(BUILD) --print-errorlogs
	$(PYTHON) -m pytest -q -rfE tests

bench: build
	$(PYTHON) bench/run.py

clean:
	rm -rf $(BUILD) demo-report
