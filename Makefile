# Vetrina: `make run` serves the demo, `make test` builds and runs the whole suite.
BUILD_DIR ?= build
SAN_BUILD_DIR ?= build-asan
JOBS ?= $(shell nproc)
DATA_DIR ?= var/data
LISTEN ?= 127.0.0.1:8080
ADMIN_LISTEN ?= 127.0.0.1:9090

.PHONY: deps build run fleet chaos test test-asan test-tsan bench bench-all bench-fleet bench-leases fuzz crash-loop clean format

deps:
	@scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/app/vetrina serve --listen $(LISTEN) --admin-listen $(ADMIN_LISTEN) \
	  --threads $(JOBS) --data-dir $(DATA_DIR) --campaigns schemas/examples --print-demo-curl

# Three bidder nodes sharing one redis-server (AOF) behind nginx, on loopback: public
# 127.0.0.1:8080, admin 127.0.0.1:9090 (docs/fleet.md). FLEET_ARGS=--fresh starts an empty fleet.
fleet: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target vetrina
	scripts/fleet --binary $(BUILD_DIR)/app/vetrina $(FLEET_ARGS)

# Faults under bid and notice load on a three-node fleet, money checked after every round
# (docs/fleet.md, "Chaos"). About half an hour; `make test` runs four rounds. CHAOS_ARGS adds
# flags (--seed N, --random, --kinds kill_redis,...).
CHAOS_ROUNDS ?= 100
chaos: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target vetrina
	python3 scripts/chaos.py --binary $(BUILD_DIR)/app/vetrina --rounds $(CHAOS_ROUNDS) $(CHAOS_ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The unit and integration suites built with AddressSanitizer and UndefinedBehaviorSanitizer,
# assertions on.
test-asan: deps
	cmake -S . -B $(SAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVETRINA_SANITIZE=ON \
	  -DVETRINA_BUILD_PERF=OFF
	cmake --build $(SAN_BUILD_DIR) -j $(JOBS)
	cd $(SAN_BUILD_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# The concurrency tests (epoch-protected snapshots, the audience store, budgets) under
# ThreadSanitizer, with assertions on.
TSAN_BUILD_DIR ?= build-tsan
TSAN_DOMAINS := core audience money
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVETRINA_TSAN=ON \
	  -DVETRINA_BUILD_PERF=OFF
	cmake --build $(TSAN_BUILD_DIR) -j $(JOBS) \
	  $(foreach d,$(TSAN_DOMAINS),--target engine_$(d)_test)
	set -e; for d in $(TSAN_DOMAINS); do \
	  TSAN_OPTIONS=halt_on_error=1 $(TSAN_BUILD_DIR)/tests/engine/$$d/engine_$${d}_test "[concurrency]"; \
	done

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR) $(TSAN_BUILD_DIR)

# Benchmarks behind docs/benchmarks.md (Release build; wrk for the churn test).
# libFuzzer (clang): every target for FUZZ_SECONDS, seeded from the fixtures; fails on a finding.
FUZZ_SECONDS ?= 600
FUZZ_BUILD_DIR ?= build-fuzz
fuzz:
	@scripts/install-deps --fuzz
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVETRINA_FUZZ=ON \
	  -DVETRINA_BUILD_PERF=OFF -DBUILD_TESTING=OFF
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzzers
	scripts/run-fuzzers $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# SIGKILL the bidder 100 times during campaign pushes, uploads and notices (CI runs 10).
crash-loop: build
	cd tests/integration && VETRINA_BINARY=$(CURDIR)/$(BUILD_DIR)/app/vetrina \
	  VETRINA_SOURCE_DIR=$(CURDIR) CRASH_LOOP_ITERATIONS=100 python3 -m unittest -v test_crash_loop

bench: build
	@scripts/install-deps --bench
	python3 perf/bench.py

# The fleet's figures (docs/benchmarks.md, "Fleet"): three nodes on one Redis, nginx in front.
# Minutes long; not part of `make test`. FLEET_BENCH_ARGS=--cluster runs on a Redis Cluster.
bench-fleet: build
	@scripts/install-deps --bench
	cmake --build $(BUILD_DIR) -j $(JOBS) --target vetrina mint_notices vetrina-loadgen
	python3 perf/fleet_bench.py $(FLEET_BENCH_ARGS)
	python3 perf/instructions_per_request.py --fleet

# Redis work of the fleet's budget leases (docs/benchmarks.md, "Fleet money"): FCALLs per node,
# Redis commands and CPU for 1k and 10k budgeted campaigns on one and three nodes. About 2 minutes.
bench-leases: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target vetrina
	python3 perf/lease_bench.py $(LEASE_BENCH_ARGS)

# Every benchmark behind docs/benchmarks.md, including the long ones (10M users, 100k campaigns).
bench-all: bench
	$(BUILD_DIR)/perf/bid_path_benchmark
	$(BUILD_DIR)/perf/index_benchmark
	$(BUILD_DIR)/perf/audience_benchmark
	$(BUILD_DIR)/perf/money_benchmark
	$(BUILD_DIR)/perf/skadn_benchmark
	python3 perf/notice_bench.py --count 600000 --connections 256 --duration 5
	python3 perf/churn_bench.py --campaigns 100000 --rate 100 --duration 10
	python3 perf/audience_bench.py --ids 10000000
