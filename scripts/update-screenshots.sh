#!/usr/bin/env bash
# Refreshes the README's dashboard screenshots in docs/screenshots on purpose (the test run writes its own under
# .build/screenshots and leaves tracked files alone). Builds the debug binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product coalmine
/usr/bin/python3 scripts/dashboard-test.py .build/debug/coalmine docs/screenshots
