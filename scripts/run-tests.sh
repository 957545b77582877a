#!/bin/bash
# Runs every test. Tests that need a real server or tool start it themselves
# and fail (never skip) when it is missing.
set -euo pipefail
export BAM_TEST_TMP="${BAM_TEST_TMP:-/tmp}"
swift test "$@"
# The Debian packages: a release build and a Debian root, so only on a
# full run (not when given a filter). The Webmin module first, so that all
# three packages (bam, bam-hub, webmin-bam) are built and installed.
if [ $# -eq 0 ]; then
    make --no-print-directory webmin-module
    scripts/test-deb.sh
    # A short pass of every fuzz target (make fuzz runs them for longer):
    # about 3 minutes, after a sanitized build of some 7 CPU-minutes.
    FUZZ_SECONDS="${FUZZ_SECONDS:-10}" scripts/fuzz.sh
fi
