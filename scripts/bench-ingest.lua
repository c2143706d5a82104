-- wrk script for the ingest benchmark (scripts/bench.py): every request carries `per_request` alerts never sent
-- before, all for one rollout's service (svc-1 … svc-N, in turn), so every alert is new work for the receiver.
-- The same alerts go to Coalmine as an Alertmanager webhook delivery and to Alertmanager as a
-- `POST /api/v2/alerts` list. Set by environment: INGEST_FORMAT (webhook|alertmanager), INGEST_SERVICES,
-- INGEST_TOKEN (Coalmine's webhook bearer token), INGEST_RUN (keeps fingerprints of A B A B runs apart),
-- INGEST_STARTS_AT, INGEST_FIRST, INGEST_RATE and INGEST_CONNECTIONS (see below).

local format = os.getenv("INGEST_FORMAT") or "webhook"
local services = tonumber(os.getenv("INGEST_SERVICES") or "1000")
local token = os.getenv("INGEST_TOKEN")
local run = tonumber(os.getenv("INGEST_RUN") or "0")
-- When the alerts began: in the past, or Alertmanager refuses them (its endsAt defaults to now + resolve_timeout).
local starts_at = os.getenv("INGEST_STARTS_AT") or "2026-01-01T00:00:00.000Z"
-- Optional: the first service number (services are svc-FIRST … svc-(FIRST+SERVICES-1)), and a total request rate
-- to hold instead of sending as fast as answers come back.
local first = tonumber(os.getenv("INGEST_FIRST") or "1")
local rate = tonumber(os.getenv("INGEST_RATE") or "0")
local connections = tonumber(os.getenv("INGEST_CONNECTIONS") or "64")
local per_request = 10

local threads = {}
local thread_number = 0

-- With a rate, each connection waits its share of the interval before each request (wrk's own pacing hook);
-- the rate held is a little under it, by the time each answer takes.
function delay()
    if rate > 0 then return 1000 * connections / rate end
    return 0
end

function setup(thread)
    thread_number = thread_number + 1
    thread:set("thread_id", thread_number)
    table.insert(threads, thread)
end

local counter = 0

local function alert_labels(service, id)
    return string.format(
        '{"alertname":"CanaryGateBench","service":"svc-%d","severity":"warning","instance":"10.%d.%d.%d:8501","job":"tf-serving","bench":"%x"}',
        service, run, thread_id, id % 250, id)
end

-- Alertmanager's fingerprints are a 64-bit hash of the labels, so consecutive alerts land all over any index keyed
-- by them. The first 8 hex digits here scramble the alert's number one-to-one (times an odd constant modulo 2^32,
-- in 16-bit halves so no product loses digits in a Lua number), the rest keep run and thread apart: unique, and
-- as scattered as real ones.
local function scramble(id)
    local low = id % 65536
    local high = (id - low) / 65536
    return (low * 2654435761 + ((high * 2654435761) % 65536) * 65536) % 4294967296
end

local function fingerprint(id)
    return bit.tohex(bit.tobit(scramble(id % 4294967296)), 8) .. string.format("%02x%02x%04x", run, thread_id, id % 65536)
end

local annotations = '{"summary":"p99 latency 1.8x stable on the canary","value":"1.8"}'

function request()
    counter = counter + 1
    local service = (thread_id * 7919 + counter) % services + first
    local alerts = {}
    for j = 1, per_request do
        local id = counter * per_request + j
        local labels = alert_labels(service, id)
        if format == "webhook" then
            alerts[j] = string.format(
                '{"status":"firing","labels":%s,"annotations":%s,"startsAt":"%s",' ..
                '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"%s"}',
                labels, annotations, starts_at, fingerprint(id))
        else
            alerts[j] = string.format(
                '{"labels":%s,"annotations":%s,"startsAt":"%s","generatorURL":"http://prometheus:9090/graph"}',
                labels, annotations, starts_at)
        end
    end
    local body
    local headers = { ["Content-Type"] = "application/json" }
    if format == "webhook" then
        body = string.format(
            '{"receiver":"coalmine","status":"firing","alerts":[%s],"groupLabels":{"service":"svc-%d"},' ..
            '"commonLabels":{"service":"svc-%d"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093",' ..
            '"version":"4","groupKey":"{}:{service=\\"svc-%d\\"}","truncatedAlerts":0}',
            table.concat(alerts, ","), service, service, service)
        headers["Authorization"] = "Bearer " .. token
    else
        body = "[" .. table.concat(alerts, ",") .. "]"
    end
    return wrk.format("POST", nil, headers, body)
end

-- One JSON line the harness reads: requests, non-2xx answers, socket errors, seconds, latency percentiles.
function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        'INGEST {"requests":%d,"non2xx":%d,"socket_errors":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
        summary.requests, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
        summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
