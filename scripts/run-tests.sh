#!/bin/bash
# Runs every test. Tests that need a real server or tool start it themselves
# and fail (never skip) when it is missing.
set -euo pipefail
export BAM_TEST_TMP="${BAM_TEST_TMP:-/tmp}"
exec swift test "$@"
