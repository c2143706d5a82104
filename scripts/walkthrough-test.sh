#!/usr/bin/env bash
# The README's walkthrough, asserted: serve on a temp config, start a rollout, post the sample Alertmanager
# alert, see the canary wait for a human, post it again (no second transition), open the signed "Roll back" link
# the page printed (nothing changes), click its button in headless Chromium (traffic goes back to stable), start a
# rollout with a header stage (internal users first), see the journal verify, stop with SIGTERM (exit 0), then tamper with the journal and see `audit verify` fail.
# Usage: scripts/walkthrough-test.sh PATH-TO-COALMINE-BINARY
set -uo pipefail
binary=$(realpath "${1:?usage: walkthrough-test.sh path/to/coalmine}")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=""
passed=0
failed=0

cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

check() {  # check "what" command...
    local what=$1; shift
    if "$@" >>"$work/checks.log" 2>&1; then
        passed=$((passed + 1)); echo "  ok   $what"
    else
        failed=$((failed + 1)); echo "  FAIL $what"; tail -5 "$work/checks.log" | sed 's/^/       /'
    fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s#127.0.0.1:9095#127.0.0.1:$port#g" -e "s#\"data/#\"$work/data/#g" -e "s#anchorEvery: 1h#anchorEvery: 1s#" "$repo/config/coalmine.yaml" >"$work/coalmine.yaml"
# A second rollout that lets internal users in first (see "Internal users first" in the README).
echo '  - { name: ranker, namespace: ml, virtualService: ranker-route, stableSubset: v1, canarySubset: v2, headerStage: { header: x-user-group, exact: internal, bake: 2h } }' >>"$work/coalmine.yaml"
cli() { "$binary" "$@" --config "$work/coalmine.yaml"; }
state() { cli status --json | python3 -c 'import json,sys; v=json.load(sys.stdin)["rollouts"][0]; print(v["state"], v["stableWeight"], v["canaryWeight"])'; }
post() { curl -sS -o "$work/answer.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$work/data/webhook-token")" \
    -H 'Content-Type: application/json' --data @"$repo/config/examples/$1" "http://127.0.0.1:$port/hooks/alertmanager"; }
wait_for() {  # wait_for "expected state line" seconds
    for _ in $(seq 1 $((${2:-10} * 10))); do [ "$(state)" = "$1" ] && return 0; sleep 0.1; done
    echo "state is '$(state)', expected '$1'"; return 1
}
# The checks below run some of these in `bash -c`.
export binary repo work port
export -f cli state post

echo "-- serving on 127.0.0.1:$port"
"$binary" serve --config "$work/coalmine.yaml" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

check "serve generated its secrets with mode 0600" \
    bash -c "[ \"\$(stat -c %a '$work/data/webhook-token' '$work/data/api-token' '$work/data/action-key' '$work/data/audit-key' | sort -u)\" = 600 ]"
check "serve printed where the secrets are" grep -q "generated secret $work/data/api-token" "$work/serve.log"
check "notify-test reaches the console notifier" bash -c "cli notify-test console | grep -q 'delivered a test message through console (log)'"
check "and the message says it is a test" bash -c "cli notify-test console | grep -q 'test message: Coalmine can reach this channel'"
check "start a rollout" cli start tf-model-service --canary-version 2.13.0-gpu --stable-version 2.12.0
check "the canary gets 5 %" wait_for "observing 95 5"
check "the breaker alert is answered 200" bash -c "[ \"\$(post breaker-firing.json)\" = 200 ]"
check "and made one transition" grep -q '"transitions":1' "$work/answer.json"
check "the rollout waits for a human at 95/5" wait_for "awaiting-human 95 5"
check "the same alert again is answered 200" bash -c "[ \"\$(post breaker-firing.json)\" = 200 ]"
check "and makes no transition" grep -q '"transitions":0' "$work/answer.json"
check "the log notifier paged a human" grep -q "circuit breaker tripped" "$work/serve.log"
check "promote is refused while the breaker fires" bash -c "! cli promote tf-model-service"
link=$(grep -o "Roll back: http://[^ ]*" "$work/serve.log" | tail -1 | cut -d' ' -f3)
export link
check "the page printed a signed Roll back link" test -n "$link"
check "opening the link shows what it will do" bash -c 'curl -sf "$link" | grep -q "canary 5 % → 0 %"'
check "and changes nothing" wait_for "awaiting-human 95 5"
check "in Chromium, the link's button rolls back" \
    /usr/bin/python3 "$repo/scripts/click-link.py" "$link" "Roll back: tf-model-service?" "$work/browser"
check "traffic is back on stable" wait_for "rolled-back 100 0"
check "a second click is refused with 409" bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST "$link")" = 409 ]'
check "the dry-run router logged the rollback" grep -q "would set ml/tf-model-route v1=100 v2=0" "$work/serve.log"
check "history names who clicked" bash -c "cli history tf-model-service | grep -q 'rollback by link:console'"
check "a rollout with a header stage starts" cli start ranker
check "status shows internal users only on the canary" bash -c "cli status | grep ranker | grep -q 'internal (x-user-group=internal)'"
check "the dry-run router logged the header route" grep -q "would set ml/ranker-route v1=100 v2=0, header route x-user-group=internal → v2" "$work/serve.log"
check "the start notice says internal users go first" grep -q "ranker: canary run 1 started: internal (x-user-group=internal) first" "$work/serve.log"
check "the journal verifies while serving" cli audit verify
check "serve logs audit anchors (every second here)" grep -q "audit-anchor [0-9]*:[0-9a-f]\{64\}" "$work/serve.log"
anchor=$("$binary" audit head --config "$work/coalmine.yaml" | tr ' ' ':')
check "audit head prints SEQ HASH" grep -Eq '^[0-9]+:[0-9a-f]{64}$' <<<"$anchor"
check "the journal holds its anchor" "$binary" audit verify --config "$work/coalmine.yaml" --expect "$anchor"
kill -TERM "$server_pid"
wait "$server_pid"
code=$?
server_pid=""
check "SIGTERM stops serve with exit 0" test "$code" -eq 0

# Through SQLite, not cp: the newest entries may still sit in the write-ahead log beside the file.
sqlite3 "$work/data/coalmine.db" ".backup '$work/cut.db'"
sqlite3 "$work/cut.db" "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE sequence > (SELECT MAX(sequence) - 3 FROM journal);"
sed "s#$work/data/coalmine.db#$work/cut.db#" "$work/coalmine.yaml" >"$work/cut.yaml"
check "a journal cut short still has an intact chain" "$binary" audit verify --config "$work/cut.yaml"
check "but not its anchor" bash -c "! '$binary' audit verify --config '$work/cut.yaml' --expect '$anchor'"
echo "a-key-of-its-own" >"$work/other-audit-key"
sed "s#$work/data/audit-key#$work/other-audit-key#" "$work/cut.yaml" >"$work/other-key.yaml"
check "config/coalmine.yaml names the audit key file" grep -q "$work/data/audit-key" "$work/cut.yaml"
check "an audit with another key says the key differs, not that the chain broke" bash -c \
    "out=\$('$binary' audit verify --config '$work/other-key.yaml'); [ \$? -eq 1 ] && grep -q 'the audit key differs from the journal' <<<\"\$out\""
sqlite3 "$work/data/coalmine.db" "DROP TRIGGER journal_no_update; UPDATE journal SET body = replace(body, 'link:console', 'mallory') WHERE kind = 'human-action' AND body LIKE '%link:console%';"
check "a tampered journal fails audit verify" bash -c "! '$binary' audit verify --config '$work/coalmine.yaml'"
check "and names the broken entry" bash -c "'$binary' audit verify --config '$work/coalmine.yaml' | grep -q 'BROKEN at entry'"

printf 'rollouts:\n  - { name: tf-model-service, namespace: ml, virtualService: vs, stableSubset: v1, canarySubset: v2, steps: [5, 50, 30, 100] }\n' >"$work/bad.yaml"
check "check-config names a bad key path and exits 1" bash -c \
    "out=\$('$binary' check-config --config '$work/bad.yaml'); [ \$? -eq 1 ] && grep -q 'rollouts\[0\].steps: weights must strictly increase and end at 100' <<<\"\$out\""
check "serve refuses the same config" bash -c "! '$binary' serve --config '$work/bad.yaml'"

echo "walkthrough: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
