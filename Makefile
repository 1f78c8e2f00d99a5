# Task runner. The C is built by Meson into build/; `build/radiograph` runs
# from the source tree.
PYTHON ?= python3
BUILD ?= build

.PHONY: build setup demo test test-c test-py bench clean

build:
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	ninja -C $(BUILD)

demo: build
	@rm -rf demo-report
	./$(BUILD)/radiograph run -o demo-report examples/demo_job.py
	@echo "open demo-report/index.html"

# What the build and the tests need: the Python packages, Debian's chromium
# for the page tests (as root), and numpy in every supported CPython found
# (the end-to-end suite runs under each).
setup:
	$(PYTHON) -m pip install -q -r requirements-dev.txt
	@command -v chromium >/dev/null 2>&1 || { test "$$(id -u)" = 0 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "make setup: install Debian's chromium for the page tests (apt-get install chromium)"
	$(PYTHON) tools/prepare_pythons.py

test: build
	meson test -C $(BUILD) --print-errorlogs
	$(PYTHON) tests/run.py

bench: build
	$(PYTHON) bench/run.py

clean:
	rm -rf $(BUILD) demo-report
