# bam: backup and migration for Linux servers.
# `make demo` and `make test` install what they need on Debian 12 (as root).

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps build test check format demo bench bench-hub install clean fuzz
.PHONY: deb man test-compat

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	scripts/run-tests.sh

# The original TKLBAM client (Python 2, unmodified) against bam-hub and bam
# (issue #18): scripts/test-compat.sh. COMPAT_DIR holds the client's pinned
# tarballs; the suite fails, never skips, when it is missing. Not part of
# `make test`, which stays self-contained.
COMPAT_DIR ?= ../shared/compat
test-compat: deps
	scripts/test-compat.sh "$(COMPAT_DIR)"

# The fast loop: the tests that need no S3 server, duplicity, database
# server, browser or Debian root (Tests/BamTestSupport/TestNeeds.swift);
# no apt. `make test` runs everything.
# The formatter (swift-format, in the toolchain; .swift-format) is checked
# first: `make format` applies it.
FORMATTED = Sources Tests Fuzz/Sources Package.swift Fuzz/Package.swift
check:
	$(SWIFT) format lint --strict --recursive --parallel $(FORMATTED)
	$(SWIFT) build --build-tests
	BAM_TEST_STANDALONE=1 $(SWIFT) test --skip-build

format:
	$(SWIFT) format format --in-place --recursive --parallel $(FORMATTED)

# A debug build: it shares the build with `make test` and is quicker to make.
demo: deps
	$(SWIFT) build
	scripts/demo.sh .build/debug/bam

# The parsers of untrusted input under libFuzzer and AddressSanitizer
# (Fuzz/): each target for FUZZ_SECONDS (default 600); fails on any crash,
# hang or leak and prints the reproducer.
fuzz: deps
	scripts/fuzz.sh

bench: deps
	$(SWIFT) build -c release
	scripts/bench.sh .build/release/bam

# Load test of the Hub: release bam-hub on its own PostgreSQL, one and two
# instances behind haproxy (see scripts/bench-hub.sh).
bench-hub: deps
	scripts/bench-hub.sh

install:
	$(SWIFT) build -c release
	install -D -m 0755 .build/release/bam $(DESTDIR)$(PREFIX)/bin/bam

clean:
	rm -rf .build

# Webmin module: dist/bam.wbm.gz, installable with Webmin's install-module.pl.
# The CGI program is a release build with the Swift runtime linked in, in the
# scratch path the Debian packages use too (one release build for both), apart
# from the debug build.
.PHONY: webmin-module
webmin-module:
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-static --product bam-webmin
	strip --strip-unneeded -o .build-static/bam-webmin .build-static/release/bam-webmin
	scripts/build-webmin-module.sh .build-static/bam-webmin .build-static/module dist/bam.wbm.gz

# Debian packages in dist/ (packaging/README.md): bam always; bam-hub and
# webmin-bam when their sources are in the tree (it says what it skipped).
deb: deps
	@if $(MAKE) -n webmin-module >/dev/null 2>&1; then $(MAKE) webmin-module; \
	else echo "make deb: no 'webmin-module' target in this tree"; fi
	packaging/build-debs.sh

# Manual pages from the argument parser's help, into dist/man (a debug build).
man:
	$(SWIFT) build --product bam
	$(SWIFT) build --product generate-manual
	packaging/manuals.sh "$$($(SWIFT) build --show-bin-path)/generate-manual" "$$($(SWIFT) build --show-bin-path)/bam" dist/man
	@if grep -Eq '\.executable\(name: *"bam-hub"' Package.swift; then \
		$(SWIFT) build --product bam-hub && \
		packaging/manuals.sh "$$($(SWIFT) build --show-bin-path)/generate-manual" "$$($(SWIFT) build --show-bin-path)/bam-hub" dist/man; fi
