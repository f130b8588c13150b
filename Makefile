# The two commands README names: `make demo` and `make check`.
# Both install missing Debian packages (packages.txt) first, then build with CMake.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all deps build build-asan demo check test test-asan interop format format-check layers bench clean

all: build

deps:
	@./scripts/install-deps.sh

# Development builds: warnings are errors, and the two builds use the two compilers (gcc for
# the optimized build, clang for the sanitizer build), so both keep building cleanly.
build: deps
	CC=gcc cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUMPTCP_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DUMPTCP_SANITIZE=ON -DUMPTCP_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/bin/umptcp-sim --demo
	./$(BUILD)/bin/umptcp-exp bench/scenarios/shared_bottleneck.scn --ccs cubic,lia \
	  --out $(BUILD)/demo --plot | tail -3

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

format-check:
	@./scripts/format.sh --check

format:
	@./scripts/format.sh

# No lower layer includes a higher one (the order is in the script), and src/relay's files
# do not call each other in a circle.
layers:
	@./scripts/check-layers.sh
	@./scripts/check-relay-calls.sh

# Everything: style, layering, the optimized build's tests (unit, simulation, interop),
# then the whole suite again under ASan+UBSan.
check: format-check layers test test-asan

bench: build
	./bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
