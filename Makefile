# bam: backup and migration for Linux servers.
# `make demo` and `make test` install what they need on Debian 12 (as root).

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps build test demo bench install clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	scripts/run-tests.sh

# A debug build: it shares the build with `make test` and is quicker to make.
demo: deps
	$(SWIFT) build
	scripts/demo.sh .build/debug/bam

bench: deps
	$(SWIFT) build -c release
	scripts/bench.sh .build/release/bam

install:
	$(SWIFT) build -c release
	install -D -m 0755 .build/release/bam $(DESTDIR)$(PREFIX)/bin/bam

clean:
	rm -rf .build

# Webmin module: dist/bam.wbm.gz, installable with Webmin's install-module.pl.
# The CGI program is a release build with the Swift runtime linked in, in a
# scratch path of its own so it does not disturb the debug build.
.PHONY: webmin-module
webmin-module:
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-webmin --product bam-webmin
	strip --strip-unneeded -o .build-webmin/bam-webmin .build-webmin/release/bam-webmin
	scripts/build-webmin-module.sh .build-webmin/bam-webmin .build-webmin/module dist/bam.wbm.gz
