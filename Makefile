# httvps entry points. `make up` runs the whole local stack; `make test` runs every test.
# Both install what is missing first (ci/install-deps.sh: Debian packages only).

SHELL := /bin/bash
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: up down status test build build-release panel deps clean help

help:
	@echo "make up       install, build (release) and start the local stack"
	@echo "make down     stop everything 'make up' started"
	@echo "make status   show what is running"
	@echo "make test     install, build (ASan+UBSan) and run every test through CTest"
	@echo "make clean    remove build/ (var/ with the local stack's data stays)"

deps:
	@ci/install-deps.sh

build-release: deps
	@ci/build.sh release

build: deps
	@ci/build.sh asan

# The admin panel (webadmin-wasm/, Emscripten) into build/wasm-admin/www.
panel: deps
	@ci/lib/panel.sh build

up: build-release panel
	@ci/stack.sh up

down:
	@ci/stack.sh down

status:
	@ci/stack.sh status

test: build panel
	@ci/test.sh asan

clean:
	rm -rf build
