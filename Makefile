# Basira: the two commands a new user runs are `make demo` and `make test`; each does its own set-up.
#
#   make demo          start the demo (simulator + ingest + web) on an embedded Redis; ARGS="--port 8060"
#   make test          lint, then run the test suite in 3 worker processes; PYTEST_ARGS="-k contract" to narrow it,
#                      TEST_WORKERS=4 for more workers, TEST_WORKERS=0 for one process (pdb, -s)
#   make lint          ruff only
#   make bench         the benchmark suite against a naive Dash baseline; writes docs/benchmarks.md
#   make bench-quick   the same at a small scale, a smoke check (about a minute on a quiet machine)
#   make bench-flames  py-spy flame graphs of the ingest worker and of a web worker under the load (docs/img/)
#   make suite-profile the suite in one process, each test charged the machine's CPU (Chromium's apart): docs/suite-cpu.png
#   make soak          30 min at 500 entries/s, 20 clients: memory flat, no errors; ARGS="--minutes 120"
#   make venv          (re)create .venv when pyproject.toml changes
#   make browser-deps  headless Chromium + chromedriver for the browser tests (Debian, as root)
#   make redis-deps    Redis 7 (redis-server, redis-tools, redis-sentinel) for the ACL tests (Debian, as root)
#   make gdal-deps     GDAL's ogrinfo/ogr2ogr (gdal-bin) for the OGC API – Features tests (Debian, as root)
#   make clean         remove .venv and caches

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`: 3 on this machine kind's 2 cores (CI's too). Two left a quarter of
# the CPU idle over a run (tests waiting on a failover, a page's timers, a subprocess starting: 0.25 of the
# cores' time in a run of 332 s) and three a twelfth (0.08; on a Xeon 292-345 s over six quiet runs,
# 302-312 s side by side with two's 332-335 s; on an EPYC 301-339 s); four were no faster (308 s; on a
# faster Xeon, the calibration loop 0.12 s, three 272-286 s and four 281 s, 30 s of it a test then red;
# the cores 91-96 % busy). Each worker also runs Redis servers, app processes and a Chromium beside
# itself. The suite's bounded waits must hold under load anyway; `-n auto` would start one per core of a
# big box (a Chromium each).
# 0: no workers, one process.
TEST_WORKERS ?= 3

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv demo test lint bench bench-quick bench-flames suite-profile soak browser-deps redis-deps gdal-deps clean
.DEFAULT_GOAL := help

help:
	@sed -n 's/^#   //p' Makefile

venv: $(STAMP)

# The stamp is newer than pyproject.toml once its dependencies are installed; a change reinstalls.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Basira needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	@if [ ! -x $(BIN)/pip ]; then \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
			echo "Could not create $(VENV): on Debian/Ubuntu install python3-venv (apt-get install python3-venv)." >&2; \
			exit 1; }; \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(STAMP)

demo: venv
	$(BIN)/python -m app demo $(ARGS)

lint: venv
	$(BIN)/ruff check .

# pytest's exit code (5 when no test ran) fails the target, and so `.ci/run`.
# Side by side in $(TEST_WORKERS) processes (pytest-xdist), a test module whole on one worker (--dist loadfile:
# its module-scoped set-ups made once), the slowest modules first (tests/conftest.py orders them;
# --no-loadscope-reorder keeps that order instead of xdist's by test count). Each worker has its own
# session Redis, Chromium and temporary directories; see tests/conftest.py for what runs side by side.
test: venv browser-deps redis-deps gdal-deps lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The suite's own extras (matplotlib, pandas, aiohttp, psutil) on top of the test dependencies.
$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@

bench: $(VENV)/.bench-installed browser-deps
	$(BIN)/python -m benchmarks $(ARGS)
	$(BIN)/python -m benchmarks.archive
	$(BIN)/python -m benchmarks.alerts
	$(BIN)/python -m benchmarks.workers
	$(BIN)/python -m benchmarks.failover

bench-quick: $(VENV)/.bench-installed browser-deps
	$(BIN)/python -m benchmarks --quick $(ARGS)
	$(BIN)/python -m benchmarks.archive --quick
	$(BIN)/python -m benchmarks.alerts --quick
	$(BIN)/python -m benchmarks.workers --quick
	$(BIN)/python -m benchmarks.failover --quick

# The ingest and live phases with py-spy recording (benchmarks/flames.py): docs/img/flame-ingest.svg and
# flame-web.svg, their largest self times in benchmarks/flames.json (make bench links them); figures not the record.
bench-flames: $(VENV)/.bench-installed browser-deps
	$(BIN)/python -m benchmarks --flames --only ingest --only live --plan outside_entries=0 $(ARGS)

# Where the suite's CPU goes (benchmarks/suite_cpu.py): one test at a time, so that each is charged the whole
# machine's busy time while it runs (Chromium, servers and Redis included); a table by module and docs/suite-cpu.png.
suite-profile: venv browser-deps redis-deps gdal-deps
	$(BIN)/python -m pytest -q -p no:xdist -p benchmarks.suite_cpu --suite-cpu artifacts/suite-cpu.jsonl $(PYTEST_ARGS)
	$(BIN)/python -m benchmarks.suite_cpu artifacts/suite-cpu.jsonl

# Not part of CI: 30 minutes by default (ARGS="--minutes 120": two hours); writes benchmarks/soak/<N>min.json,
# docs/soak-<N>min.png and that run length's part of docs/benchmarks.md's Soak section.
soak: $(VENV)/.bench-installed browser-deps
	$(BIN)/python -m benchmarks.soak $(ARGS)

# Debian's chromium and chromium-driver match each other's version. Elsewhere (or without root) say
# what to install and carry on: the browser tests then report themselves as skipped.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium and chromium-driver for the browser tests…"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver \
			|| echo "Could not install chromium/chromium-driver; the browser tests will be skipped." >&2; \
	else \
		echo "The browser tests need headless Chromium and a matching chromedriver on PATH" >&2; \
		echo "(Debian: sudo apt-get install chromium chromium-driver); they will be skipped." >&2; \
	fi

# The Redis ACL tests load deploy/users.acl, which needs Redis 7 (read-only key patterns). Debian's
# redis-server package is enough; the tests start their own servers on free loopback ports.
redis-deps:
	@major=$$( (redis-server --version 2>/dev/null || true) | sed -n 's/.* v=\([0-9]*\)\..*/\1/p'); \
	if [ -n "$$major" ] && [ "$$major" -ge 7 ]; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing redis-server, redis-tools and redis-sentinel (Redis 7) for the ACL tests…"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server redis-tools redis-sentinel \
			|| echo "Could not install redis-server; the Redis ACL tests will fail." >&2; \
	else \
		echo "The Redis ACL tests need redis-server 7 or newer on PATH" >&2; \
		echo "(Debian: sudo apt-get install redis-server redis-tools redis-sentinel); they will fail." >&2; \
	fi

# The OGC API – Features tests drive the app with GDAL's OAPIF driver, a real GIS client (tests/test_ogc.py);
# Debian's gdal-bin is enough. Without it those tests fail, they do not skip.
gdal-deps:
	@if command -v ogrinfo >/dev/null 2>&1 && command -v ogr2ogr >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing gdal-bin (ogrinfo, ogr2ogr) for the OGC API – Features tests…"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends gdal-bin \
			|| echo "Could not install gdal-bin; the OGC API – Features tests will fail." >&2; \
	else \
		echo "The OGC API – Features tests need GDAL's ogrinfo and ogr2ogr on PATH" >&2; \
		echo "(Debian: sudo apt-get install gdal-bin); they will fail." >&2; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
