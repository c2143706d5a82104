#!/usr/bin/env bash
# Runs every Coalmine test. Installs what the tests need when it is missing (Debian packages; run as root or
# with sudo), checks the Prometheus rules with promtool, builds once, runs the Swift test suites (the end-to-end
# one starts Prometheus, Alertmanager, a workload and the built binary on 127.0.0.1 and stops them; a throwaway
# PostgreSQL cluster serves the store tests and is removed at the end, also on failure), runs the
# benchmarks, the fuzz targets and the chaos soak at small sizes, then walks the README's loop on the built binary and the dashboard in headless Chromium.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)   # GRDB builds against it
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)               # the tamper test edits the journal
command -v curl >/dev/null 2>&1 || missing+=(curl)                     # the walkthrough posts alerts
command -v openssl >/dev/null 2>&1 || missing+=(openssl)               # TLS tests make a throwaway CA
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)           # rule tests, and the end-to-end run
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v python3 >/dev/null 2>&1 || missing+=(python3)               # the walkthrough picks a free port
command -v wrk >/dev/null 2>&1 || missing+=(wrk)                       # the benchmarks' load
command -v chromium >/dev/null 2>&1 || missing+=(chromium)             # a real browser clicks the signed link
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)  # the shared journal's store tests
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
/usr/bin/python3 -c 'import selenium' >/dev/null 2>&1 || missing+=(python3-selenium)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null 2>&1 || { echo "swift 6 is needed on PATH (https://swift.org/install)"; exit 1; }

echo "== Prometheus rules and Alertmanager config"
promtool check rules deploy/prometheus/coalmine-rules.yaml
promtool test rules deploy/prometheus/tests/*.yaml
amtool check-config deploy/alertmanager/alertmanager.yml

echo "== building"
swift build --build-tests

echo "== scratch PostgreSQL on 127.0.0.1 (removed on exit)"
scratch_postgres=$(mktemp -d /tmp/coalmine-postgres.XXXXXX)
trap 'scripts/scratch-postgres.sh stop "$scratch_postgres"' EXIT
eval "$(scripts/scratch-postgres.sh start "$scratch_postgres")"

echo "== swift test (with the end-to-end run on real Prometheus and Alertmanager, and the stores on PostgreSQL)"
COALMINE_E2E=1 swift test --skip-build

echo "== fuzz smoke (every reader of outside bytes under libFuzzer and ASan, 15 s each; scripts/fuzz.sh runs longer)"
scripts/fuzz.sh 15

echo "== benchmark smoke (small sizes on the debug binary, so the benchmarks cannot rot; figures are not checked)"
scripts/bench.sh --smoke .build/debug/coalmine .build/debug/KubernetesAPIDoubleServer
.build/debug/JournalWriterBench 20 10

echo "== chaos smoke (kill -9 during a storm, decisions and a link click; every 2xx journaled, nothing twice)"
python3 scripts/chaos.py .build/debug/coalmine --kills 5

echo "== walkthrough on the built binary"
scripts/walkthrough-test.sh .build/debug/coalmine

echo "== the dashboard in headless Chromium (screenshots in .build/screenshots; scripts/update-screenshots.sh refreshes the README's)"
/usr/bin/python3 scripts/dashboard-test.py .build/debug/coalmine .build/screenshots
