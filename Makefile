# Task runner. The C is built by Meson into build/; `build/radiograph` runs
# from the source tree.
PYTHON ?= python3
BUILD ?= build

.PHONY: setup build demo test test-c test-py bench wheel clean

# Once per machine: the compiler, zlib, Chromium and Go from Debian's
# packages where missing, requirements-dev.txt from PyPI, and numpy and
# ipykernel in every supported CPython found, since the end-to-end suite
# runs under each (tools/setup.sh).
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
	$(PYTHON) tests/run.py

bench: build
	$(PYTHON) bench/run.py

# dist/radiograph-VERSION-py3-none-manylinux_*_x86_64.whl: one wheel for
# every supported CPython, checked by auditwheel (tools/wheel.py says why
# it is retagged from what meson-python builds).
wheel:
	$(PYTHON) tools/wheel.py

clean:
	rm -rf $(BUILD) demo-report dist
