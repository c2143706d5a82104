#!/usr/bin/env python3
"""Coalmine's benchmarks, against the real `coalmine serve` on 127.0.0.1 (see scripts/bench.sh).

  ingest       Coalmine's webhook and Alertmanager 0.25's POST /api/v2/alerts on the same stream of new alerts
               (wrk, 64 connections, 10 alerts a request, each for one of 1,000 started rollouts), A B A B; the
               ratio of their request rates. Coalmine answers each only once it is durable.
  actions      with the Kubernetes API double serving every rollout's VirtualService: an abort alert's webhook
               sent -> its PATCH at the double (stamped when the double has decoded the request's head), idle
               (1,000 aborts, with the disk's own fdatasync latency between them) and while 1,000 requests a
               second of other alerts arrive (100); a "Roll back" link POSTed -> the PATCH, and -> the read-back
               GET after it (100)
  delivery N   one Alertmanager delivery of N distinct firing alerts for one rollout: time to the 200, what it
               wrote to the journal (entries, their bytes) and how much the database grew (with its write-ahead log
               checkpointed before and after, so each byte counts once), and the server's peak RSS
  restart N    a journal of N entries: time from start to /readyz 200, and RSS once ready, beside the same for an
               empty journal
  crash N      the restart after `kill -9`: (1) a journal of N entries written while the server ran, so they are
               still in the write-ahead log when it dies; (2) a webhook storm on 100 started rollouts (their gate
               alerts all left firing), killed as the storm ends. Time to /readyz 200 and RSS once ready, beside a
               fresh server's and, for the storm, beside a clean restart (SIGTERM) of the same journal
  rollouts N   N configured rollouts, every one started: time from a restart to /readyz 200, and RSS once ready
  lateness N   N rollouts baking 1 s a step, all started: how late each scheduled step was journaled after its
               bake ended (median, worst); how long the outbox took to drain (every weight change and notice
               settled); and the CPU the server used while all sat idle afterwards
  postgres     ingest as above with the journal on PostgreSQL 15 (local, fsync on), beside Alertmanager in the same
               run
  failover N   three replicas on PostgreSQL, the leader killed -9 N times: from each kill to the first webhook a
               surviving replica answers 200 (median, worst), with the lease length

Prints one table and writes it as JSON (--json PATH). Figures, not verdicts: nothing here fails on a number.
"""
import argparse
import atexit
import calendar
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every process a measure starts, so none outlives the benchmark when a measure fails half way.
STARTED = []


@atexit.register
def stop_everything():
    for process in STARTED:
        if process.poll() is None:
            process.kill()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_ready(process, port, path, name, seconds):
    """Returns once GET `path` on 127.0.0.1:`port` answers 200; exits if `process` ends or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} exited {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit(f"{name} was not ready within {seconds} s")


class ScratchPostgres:
    """A PostgreSQL database for one measure: in the cluster scripts/test.sh started (COALMINE_TEST_POSTGRES_URL),
    or in one started here with scripts/scratch-postgres.sh and removed at exit."""
    cluster = None

    @classmethod
    def database(cls):
        if "COALMINE_TEST_POSTGRES_URL" not in os.environ:
            directory = tempfile.mkdtemp(prefix="coalmine-bench-postgres-")
            exports = subprocess.run([os.path.join(REPO, "scripts/scratch-postgres.sh"), "start", directory],
                                     capture_output=True, text=True, check=True).stdout
            for name, value in re.findall(r"export (\w+)='([^']*)'", exports):
                os.environ[name] = value
            atexit.register(lambda: subprocess.run([os.path.join(REPO, "scripts/scratch-postgres.sh"), "stop", directory]))
        url, password_file = os.environ["COALMINE_TEST_POSTGRES_URL"], os.environ["COALMINE_TEST_POSTGRES_PASSWORD_FILE"]
        name = f"coalmine_bench_{os.getpid()}_{int(time.time() * 1000)}"
        cls.psql(url, f"CREATE DATABASE {name}")
        return url.replace("/postgres?", f"/{name}?"), password_file

    @staticmethod
    def psql(url, sql):
        with open(os.environ["COALMINE_TEST_POSTGRES_PASSWORD_FILE"]) as f:
            password = f.read().strip()
        return subprocess.run(["psql", url.replace("?sslmode=disable", ""), "-tAc", sql], env={**os.environ, "PGPASSWORD": password},
                              capture_output=True, text=True, check=True).stdout.strip()


class Server:
    """One `coalmine serve` on a config of its own in `work` (`name` tells several apart: they share the secrets).
    With `postgres` (url, passwordFile) the journal is there, and the server is a replica."""

    def __init__(self, binary, work, rollouts=1, bake="1h", kubernetes=None, postgres=None, name="coalmine", lease=None):
        self.binary, self.work, self.name = binary, work, name
        self.port = free_port()
        with open(os.path.join(REPO, "config/coalmine.yaml")) as f:
            config = f.read()
        if rollouts > 1:
            # The example rollout, then as many more of the same shape, each on its own service.
            config = config.replace("bake: 24h", f"bake: {bake}")
            config += "".join(
                f"  - {{ name: svc-{i}, namespace: ml, virtualService: route-{i}, stableSubset: v1, canarySubset: v2,"
                f" alerts: {{ matchLabels: {{ service: svc-{i} }} }} }}\n" for i in range(1, rollouts))
        config = config.replace("127.0.0.1:9095", f"127.0.0.1:{self.port}").replace('"data/', f'"{work}/data/')
        config = config.replace("maxBodyBytes: 4194304", "maxBodyBytes: 67108864")
        if kubernetes:
            # The API double's VirtualServices, by kubeconfig with a token; no resync during the measures.
            with open(os.path.join(work, "kubeconfig"), "w") as f:
                f.write(f"apiVersion: v1\nkind: Config\ncurrent-context: bench\n"
                        f"contexts: [{{ name: bench, context: {{ cluster: double, user: coalmine }} }}]\n"
                        f"clusters: [{{ name: double, cluster: {{ server: \"{kubernetes}\" }} }}]\n"
                        f"users: [{{ name: coalmine, user: {{ token: bench-token }} }}]\n")
            config = re.sub(r"kubernetes:\n  mode: dry-run[^\n]*\n",
                            f'kubernetes: {{ mode: kubeconfig, kubeconfig: "{work}/kubeconfig", resyncEvery: 1h }}\n', config)
        if postgres:
            # Replicas share one set of secrets and never make them up (as one mounted Secret gives them).
            os.makedirs(os.path.join(work, "data"), exist_ok=True)
            for secret in ("webhook-token", "api-token", "action-key", "audit-key"):
                path = os.path.join(work, "data", secret)
                if not os.path.exists(path):
                    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                        f.write(secrets.token_hex(32) + "\n")
            url, password_file = postgres
            config = re.sub(r'  sqlite: \{[^}]*\}\n', f'  postgres: {{ url: "{url}", passwordFile: "{password_file}" }}\n', config)
            config = config.replace("server:\n", f"server:\n  replicaId: {name}\n  advertiseURL: \"http://127.0.0.1:{self.port}\"\n"
                                    + (f"  leaderLease: {lease}\n" if lease else ""), 1)
        self.config = os.path.join(work, f"{name}.yaml")
        with open(self.config, "w") as f:
            f.write(config)
        self.process = None

    def start(self):
        """Starts the server; returns the seconds until /readyz answered 200."""
        log = open(os.path.join(self.work, f"{self.name}.log"), "ab")
        started = time.monotonic()
        self.process = subprocess.Popen([self.binary, "serve", "--config", self.config], stdout=log, stderr=log)
        STARTED.append(self.process)
        wait_until_ready(self.process, self.port, "/readyz", f"coalmine serve (see {self.work}/{self.name}.log)", 120)
        return time.monotonic() - started

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def memory(self):
        """(RSS now, peak RSS) in MiB, from /proc."""
        with open(f"/proc/{self.process.pid}/status") as f:
            status = f.read()
        kib = lambda field: int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))
        return kib("VmRSS") / 1024, kib("VmHWM") / 1024

    def secret(self, name):
        with open(os.path.join(self.work, "data", name)) as f:
            return f.read().strip()

    def request(self, method, path, body=None, token=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    @property
    def database(self):
        return os.path.join(self.work, "data", "coalmine.db")

    def database_bytes(self):
        """The database's size with the write-ahead log folded in and emptied. A checkpoint that finds the server
        reading or writing reports busy and copies nothing: it is tried again until it goes through."""
        with sqlite3.connect(self.database) as db:
            for _ in range(250):
                busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    break
                time.sleep(0.02)
            else:
                sys.exit("the write-ahead log could not be checkpointed to measure the database")
        return os.path.getsize(self.database)


class KubernetesDouble:
    """The Kubernetes API double (Tests/KubernetesAPIDoubleServer) serving `rollouts` VirtualServices; records when
    each request arrived, by the wall clock, as it prints them."""

    def __init__(self, binary, rollouts):
        import collections
        import threading
        self.process = subprocess.Popen([binary, str(rollouts)], stdout=subprocess.PIPE, text=True)
        STARTED.append(self.process)
        self.url = self.process.stdout.readline().split()[1]
        self.seen = collections.defaultdict(list)  # VirtualService name → [(method, seconds)]
        self.changed = threading.Condition()

        def read():
            for line in self.process.stdout:
                method, path, at = line.split()
                with self.changed:
                    self.seen[path.rsplit("/", 1)[1]].append((method, float(at)))
                    self.changed.notify_all()
        threading.Thread(target=read, daemon=True).start()

    def first(self, route, method, since, timeout=30):
        """When the first `method` request for VirtualService `route` at or after `since` arrived."""
        with self.changed:
            deadline = time.time() + timeout
            while True:
                found = [at for m, at in self.seen[route] if m == method and at >= since]
                if found:
                    return found[0]
                if not self.changed.wait(timeout=max(0.01, deadline - time.time())) and time.time() > deadline:
                    raise SystemExit(f"the API double saw no {method} of {route} within {timeout} s")

    def stop(self):
        self.process.kill()
        self.process.wait()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def milliseconds(values):
    return {"p50_ms": round(percentile(values, 0.5) * 1000, 2), "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2), "samples": len(values)}


def one_alert(service, name, role):
    return json.dumps({
        "receiver": "coalmine", "status": "firing", "version": "4", "groupKey": "{}", "truncatedAlerts": 0,
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": "firing", "labels": {"alertname": name, "service": service, "coalmine_role": role},
                    "annotations": {"summary": f"{name} on {service}"}, "startsAt": "2027-01-15T08:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "fingerprint": hashlib.sha1(f"{service}/{name}".encode()).hexdigest()[:16]}],
    }).encode()


def bench_actions(binary, double_binary, idle_samples, samples, storm_rate, storm_services):
    """How long a rollback takes to reach the cluster: an abort alert's webhook sent → its PATCH at the Kubernetes
    API double (`idle_samples` on an idle server, then `samples` with `storm_rate` requests a second of 10 new alerts
    each arriving for other rollouts), and a human's "Roll back" link POSTed → the PATCH and the read-back GET after
    it. Between idle aborts, once the server has gone quiet, the disk's own latency: one 12 KB write and
    `fdatasync` in the journal's folder, the sync every idle abort also waits for."""
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    rollouts = idle_samples + 2 * samples + storm_services + 1
    double = KubernetesDouble(double_binary, rollouts)
    try:
        server = Server(binary, work, rollouts=rollouts, kubernetes=double.url)
        server.start()
        start_all(server, [f"svc-{i}" for i in range(1, rollouts)])
        for i in range(1, rollouts):
            double.first(f"route-{i}", "PATCH", 0)  # each start's step to 5 %
        time.sleep(1)
        token = server.secret("webhook-token")

        def abort(index):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            body = one_alert(f"svc-{index}", "TFServingOpKernelMissing", "abort")
            sent = time.time()
            connection.request("POST", "/hooks/alertmanager", body=body,
                               headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            answered = time.time()
            assert response.status == 200, response.status
            return double.first(f"route-{index}", "PATCH", sent) - sent, answered - sent

        probe = os.open(os.path.join(work, "disk-probe"), os.O_RDWR | os.O_CREAT, 0o644)
        idle, disk_syncs = [], []
        for index in range(1, idle_samples + 1):
            time.sleep(0.025)
            idle.append(abort(index))
            # After the abort's PATCH the server still reads the route back and journals the result and a notice:
            # the probe waits for that, so it neither slows nor is slowed by the server's own syncs.
            time.sleep(0.025)
            os.pwrite(probe, os.urandom(12288), 0)
            synced = time.perf_counter()
            os.fdatasync(probe)
            disk_syncs.append(time.perf_counter() - synced)
        os.close(probe)

        stormy_first = idle_samples + 1
        links_first = idle_samples + samples + 1
        storm_first = idle_samples + 2 * samples + 1
        storm = subprocess.Popen(
            ["wrk", "-t1", "-c64", f"-d{int(2.5 + samples * 0.25)}s", "--timeout", "30s", "-s",
             os.path.join(REPO, "scripts/bench-ingest.lua"), f"http://127.0.0.1:{server.port}/hooks/alertmanager"],
            env={**os.environ, "INGEST_FORMAT": "webhook", "INGEST_TOKEN": token, "INGEST_SERVICES": str(storm_services),
                 "INGEST_FIRST": str(storm_first), "INGEST_RATE": str(storm_rate), "INGEST_CONNECTIONS": "64",
                 "INGEST_RUN": "9"},
            stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        stormy = [abort(index) for index in range(stormy_first, stormy_first + samples) if time.sleep(0.2) is None]
        storm_output = storm.communicate()[0]
        storm_result = json.loads(next(l for l in storm_output.splitlines() if l.startswith("INGEST "))[len("INGEST "):])

        # Breakers put rollouts in front of a human; the log notifier prints each one's "Roll back" link.
        log_path = os.path.join(work, f"{server.name}.log")
        links = {}
        for index in range(links_first, links_first + samples):
            status, _ = server.request("POST", "/hooks/alertmanager", one_alert(f"svc-{index}", "CanaryErrorRatioHigh", "breaker"), token)
            assert status == 200, status
        deadline = time.time() + 30
        while len(links) < samples and time.time() < deadline:
            with open(log_path, errors="replace") as f:
                # A notice is logged as its metadata (rollout=…) and then its lines, one of them "  Roll back: URL".
                pattern = r"notice=awaiting-human rollout=svc-(\d+)[^\n]*\n(?:  [^\n]*\n)*?  Roll back: (\S+)"
                for found in re.finditer(pattern, f.read()):
                    links[int(found.group(1))] = found.group(2)
            time.sleep(0.2)
        clicked, read_back = [], []
        for index, url in sorted(links.items()):
            path = url.split("127.0.0.1:")[1].split("/", 1)[1]
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            sent = time.time()
            connection.request("POST", "/" + path, body=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (response.status, url)
            patched = double.first(f"route-{index}", "PATCH", sent)
            clicked.append(patched - sent)
            read_back.append(double.first(f"route-{index}", "GET", patched) - sent)
            time.sleep(0.05)
        server.stop()
        return [
            {"measure": "abort alert -> PATCH, idle", **milliseconds([patched for patched, _ in idle]),
             "answered_p99_ms": milliseconds([answered for _, answered in idle])["p99_ms"],
             **{f"disk_sync_{k}": v for k, v in milliseconds(disk_syncs).items() if k != "samples"}},
            {"measure": f"abort alert -> PATCH, storm of other alerts", **milliseconds([patched for patched, _ in stormy]),
             "answered_p99_ms": milliseconds([answered for _, answered in stormy])["p99_ms"],
             "storm_req_per_s": round(storm_result["requests"] / storm_result["seconds"]),
             "storm_non2xx": storm_result["non2xx"] + storm_result["socket_errors"]},
            {"measure": "Roll back link POST -> PATCH", **milliseconds(clicked)},
            {"measure": "Roll back link POST -> read back", **milliseconds(read_back)},
        ]
    finally:
        double.stop()
        shutil.rmtree(work, ignore_errors=True)


def alertmanager_delivery(count):
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": f"CanaryGate{i}", "service": "tf-model-service", "severity": "warning",
                       "instance": f"10.0.{i // 250}.{i % 250}:8501", "job": "tf-serving"},
            "annotations": {"summary": f"gate {i} of the canary: p99 latency 1.8x stable", "value": "1.8"},
            "startsAt": "2027-01-15T08:00:00.123456789Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": f"{i:016x}",
        }
        for i in range(count)
    ]
    return json.dumps({
        "receiver": "coalmine", "status": "firing", "alerts": alerts, "groupLabels": {"service": "tf-model-service"},
        "commonLabels": {"service": "tf-model-service"}, "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093", "version": "4", "groupKey": "{}:{service=\"tf-model-service\"}",
        "truncatedAlerts": 0,
    }).encode()


def bench_delivery(binary, count):
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        server = Server(binary, work)
        server.start()
        api = server.secret("api-token")
        status, _ = server.request("POST", "/api/v1/rollouts/tf-model-service/start", b"{}", api)
        assert status == 200, status
        time.sleep(1)  # the start's effects settle
        body = alertmanager_delivery(count)
        with sqlite3.connect(server.database) as db:
            before_sequence = db.execute("SELECT max(sequence) FROM journal").fetchone()[0]
        before_bytes = server.database_bytes()
        started = time.monotonic()
        status, answer = server.request("POST", "/hooks/alertmanager", body, server.secret("webhook-token"))
        seconds = time.monotonic() - started
        assert status == 200, (status, answer)
        _, peak = server.memory()
        grown = server.database_bytes() - before_bytes
        with sqlite3.connect(server.database) as db:
            entries, transitions, journal_bytes = db.execute(
                "SELECT count(*), sum(kind = 'transition'), sum(length(body) + length(hash) * 2 + length(rollout) + 40)"
                " FROM journal WHERE sequence > ?", (before_sequence,)).fetchone()
        server.stop()
        return {
            "measure": f"one delivery of {count} new firing alerts", "alerts": count, "seconds_to_200": round(seconds, 3),
            "journal_entries": entries, "transitions": transitions, "journal_bytes": journal_bytes,
            "database_growth_bytes": grown, "peak_rss_mib": round(peak, 1), "answer": json.loads(answer),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def hash_entry(previous, sequence, recorded_at, rollout, run, kind, body):
    """The journal's chain, as HashChain.swift computes it: length-prefixed fields, SHA-256."""
    material = "".join(f"{len(str(f).encode())}:{f}\n" for f in (previous, sequence, recorded_at, rollout, run, kind, body))
    return hashlib.sha256(material.encode()).hexdigest()


def fill_journal(database, count):
    """Appends `count` chained entries as months of one rollout's alerts would leave them, with their deliveries
    30 days old."""
    month_ago = int(time.time() * 1000) - 30 * 24 * 3600 * 1000
    with sqlite3.connect(database) as db:
        sequence, previous = db.execute("SELECT coalesce(max(sequence), 0), "
                                        "coalesce((SELECT hash FROM journal ORDER BY sequence DESC LIMIT 1), ?) "
                                        "FROM journal", ("0" * 64,)).fetchone()
        # Each entry links to its rollout's entry before it, as the store writes them.
        head = db.execute("SELECT sequence FROM rollout_head WHERE rollout = 'tf-model-service'").fetchone()
        rollout_previous = head[0] if head else None
        rows, deliveries = [], []
        for index in range(count):
            sequence += 1
            fingerprint = f"{index:016x}"
            body = json.dumps({
                "alertname": f"CanaryGate{index % 500}", "annotations": {"summary": "p99 latency 1.8x stable"},
                "fingerprint": fingerprint, "labels": {"alertname": f"CanaryGate{index % 500}", "service": "tf-model-service"},
                "role": "gate", "source": "alertmanager", "startsAt": "2026-10-01T08:00:00Z", "status": "firing",
            }, sort_keys=True, separators=(",", ":"))
            digest = hash_entry(previous, sequence, month_ago, "tf-model-service", 1, "alert-received", body)
            rows.append((sequence, month_ago, "tf-model-service", 1, "alert-received", body, previous, digest,
                         rollout_previous))
            deliveries.append((fingerprint, "2026-10-01T08:00:00Z", "firing", month_ago))
            previous = digest
            rollout_previous = sequence
        db.executemany("INSERT INTO journal (sequence, recorded_at, rollout, run, kind, body, previous_hash, hash, "
                       "rollout_previous) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("INSERT INTO rollout_head (rollout, sequence) VALUES ('tf-model-service', ?) "
                   "ON CONFLICT (rollout) DO UPDATE SET sequence = excluded.sequence", (rollout_previous,))
        db.executemany("INSERT INTO alert_delivery (fingerprint, starts_at, status, seen_at) VALUES (?, ?, ?, ?)", deliveries)


def bench_restart(binary, count):
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        server = Server(binary, work)
        server.start()
        server.stop()
        empty_ready = server.start()
        empty_rss, _ = server.memory()
        server.stop()
        fill_journal(server.database, count)
        full_ready = server.start()
        full_rss, _ = server.memory()
        server.stop()
        return {
            "measure": f"restart with {count} journal entries", "entries": count,
            "seconds_to_ready": round(full_ready, 3), "rss_mib": round(full_rss, 1),
            "empty_journal_seconds_to_ready": round(empty_ready, 3), "empty_journal_rss_mib": round(empty_rss, 1),
            "rss_over_empty_mib": round(full_rss - empty_rss, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def wal_mib(database):
    wal = database + "-wal"
    return round(os.path.getsize(wal) / 2**20, 1) if os.path.exists(wal) else 0.0


def bench_crash(binary, count, storm_seconds):
    """The restart after kill -9, with the journal's newest pages still in the write-ahead log."""
    results = []
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        server = Server(binary, work)
        server.start()
        fresh_rss, _ = server.memory()
        # Written beside the running server, whose open connections keep the log from being folded back.
        fill_journal(server.database, count)
        server.process.kill()
        server.process.wait()
        wal = wal_mib(server.database)
        ready = server.start()
        rss, _ = server.memory()
        server.stop()
        results.append({
            "measure": f"restart after kill -9, {count} journal entries", "entries": count, "wal_mib_at_kill": wal,
            "seconds_to_ready": round(ready, 3), "rss_mib": round(rss, 1), "fresh_rss_mib": round(fresh_rss, 1),
            "rss_over_fresh_mib": round(rss - fresh_rss, 1),
        })
    finally:
        shutil.rmtree(work, ignore_errors=True)
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        server = Server(binary, work, rollouts=101)
        server.start()
        fresh_rss, _ = server.memory()
        start_all(server, [f"svc-{i}" for i in range(1, 101)])
        a_minute_ago = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60))
        storm = wrk(f"http://127.0.0.1:{server.port}/hooks/alertmanager",
                    {"INGEST_SERVICES": "100", "INGEST_RUN": "0", "INGEST_STARTS_AT": a_minute_ago,
                     "INGEST_FORMAT": "webhook", "INGEST_TOKEN": server.secret("webhook-token")}, storm_seconds)
        serving_rss, _ = server.memory()
        server.process.kill()
        server.process.wait()
        wal = wal_mib(server.database)
        with sqlite3.connect(server.database) as db:
            entries = db.execute("SELECT count(*) FROM journal").fetchone()[0]
            firing = db.execute("SELECT count(*) FROM firing_alert").fetchone()[0]
        crash_ready = server.start()
        crash_rss, _ = server.memory()
        server.stop()
        clean_ready = server.start()
        clean_rss, _ = server.memory()
        server.stop()
        results.append({
            "measure": f"restart after kill -9 in a {storm_seconds} s storm", "entries": entries,
            "firing_alerts": firing, "wal_mib_at_kill": wal, "storm_req_per_s": storm["requests_per_second"],
            "serving_rss_mib": round(serving_rss, 1), "seconds_to_ready": round(crash_ready, 3),
            "rss_mib": round(crash_rss, 1), "clean_restart_seconds_to_ready": round(clean_ready, 3),
            "clean_restart_rss_mib": round(clean_rss, 1), "fresh_rss_mib": round(fresh_rss, 1),
            "kib_per_firing_alert": round((crash_rss - fresh_rss) * 1024 / max(firing, 1), 2),
        })
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def bench_rollouts(binary, count):
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        server = Server(binary, work, rollouts=count)
        first_ready = server.start()
        api = server.secret("api-token")
        names = ["tf-model-service"] + [f"svc-{i}" for i in range(1, count)]
        for name in names:
            status, answer = server.request("POST", f"/api/v1/rollouts/{name}/start", b"{}", api)
            assert status == 200, (status, answer)
        server.stop()
        ready = server.start()
        rss, _ = server.memory()
        server.stop()
        return {
            "measure": f"{count} started rollouts", "rollouts": count, "seconds_to_ready": round(ready, 3),
            "rss_mib": round(rss, 1), "first_start_seconds_to_ready": round(first_ready, 3),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_lateness(binary, count, idle_seconds=10):
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        server = Server(binary, work, rollouts=count, bake="1s")
        server.start()
        api = server.secret("api-token")
        for name in ["tf-model-service"] + [f"svc-{i}" for i in range(1, count)]:
            status, answer = server.request("POST", f"/api/v1/rollouts/{name}/start", b"{}", api)
            assert status == 200, (status, answer)
        # Four steps of 1 s each after the last start, then every rollout is promoted and waits for nothing. Polled
        # through each rollout's latest transition: reading and parsing every transition twice a second took this
        # script up to a third of a core while the server was stepping (0.26 s of CPU a poll at 60,000 transitions),
        # and made the server's steps late.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with sqlite3.connect(server.database) as db:
                promoted = db.execute(
                    "SELECT count(*) FROM latest_transition JOIN journal USING (sequence)"
                    " WHERE journal.body LIKE '%\"to\":\"promoted\"%'").fetchone()[0]
            if promoted == count:
                break
        with sqlite3.connect(server.database) as db:
            rows = db.execute("SELECT rollout, recorded_at, body FROM journal WHERE kind = 'transition' ORDER BY sequence").fetchall()
        lateness, bake_end = [], {}
        for rollout, recorded_at, body in rows:
            transition = json.loads(body)
            if transition["actor"] == "schedule" and rollout in bake_end:
                lateness.append(recorded_at - bake_end[rollout])
            next_step = transition["state"].get("nextStepAt")
            bake_end[rollout] = rfc3339_ms(next_step) if next_step else None
        promoted = sum(1 for _, _, body in rows if json.loads(body)["to"] == "promoted")
        drained = time.monotonic()
        while time.monotonic() - drained < 900:
            with sqlite3.connect(server.database) as db:
                if db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0:
                    break
            time.sleep(0.5)
        drain_seconds = time.monotonic() - drained
        cpu_before = cpu_seconds(server.process.pid)
        time.sleep(idle_seconds)
        idle_cpu = (cpu_seconds(server.process.pid) - cpu_before) / idle_seconds
        server.stop()
        lateness.sort()
        return {
            "measure": f"{count} rollouts stepping every 1 s", "rollouts": count, "scheduled_steps": len(lateness),
            "promoted": promoted, "median_lateness_ms": lateness[len(lateness) // 2] if lateness else None,
            "worst_lateness_ms": lateness[-1] if lateness else None,
            "outbox_drained_seconds_after_the_steps": round(drain_seconds, 1),
            "idle_cpu_percent_of_a_core": round(idle_cpu * 100, 2),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Alertmanager:
    """Alertmanager 0.25 (the Debian package) on 127.0.0.1, in-memory, with one receiver that sends nowhere:
    the peer whose `POST /api/v2/alerts` Coalmine's webhook ingest is compared with."""

    def __init__(self, work):
        self.work, self.port = work, free_port()
        self.config = os.path.join(work, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write('route: { receiver: nowhere }\nreceivers: [{ name: nowhere }]\n')
        self.process = None

    def start(self):
        log = open(os.path.join(self.work, "alertmanager.log"), "ab")
        self.process = subprocess.Popen([
            "prometheus-alertmanager", f"--config.file={self.config}", f"--storage.path={self.work}/am-data",
            f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=",
        ], stdout=log, stderr=log)
        STARTED.append(self.process)
        wait_until_ready(self.process, self.port, "/-/ready", "Alertmanager", 60)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)

    def memory(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1)) / 1024


def wrk(url, environment, seconds, connections=64):
    """One wrk run of scripts/bench-ingest.lua; returns its INGEST line as a dict."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s",
         os.path.join(REPO, "scripts/bench-ingest.lua"), url],
        env={**os.environ, **environment}, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("INGEST "))
    result = json.loads(line[len("INGEST "):])
    # Only answers that took the alerts count: a refusal is fast and worth nothing.
    result["requests_per_second"] = round((result["requests"] - result["non2xx"]) / result["seconds"])
    return result


def start_all(server, names):
    api = server.secret("api-token")
    for name in names:
        status, answer = server.request("POST", f"/api/v1/rollouts/{name}/start", b"{}", api)
        assert status == 200, (status, answer)


def bench_ingest(binary, services, seconds, rounds=2, postgres=False):
    """Coalmine's webhook (durable) and Alertmanager's POST /api/v2/alerts (in memory) on the same stream of new
    alerts, A B A B: 64 connections, 10 alerts a request, each request for one of `services` started rollouts."""
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        database = ScratchPostgres.database() if postgres else None
        server = Server(binary, work, rollouts=services + 1, postgres=database)
        server.start()
        start_all(server, [f"svc-{i}" for i in range(1, services + 1)])
        time.sleep(1)
        peer = Alertmanager(work)
        peer.start()
        token = server.secret("webhook-token")
        runs = {"coalmine": [], "alertmanager": []}
        a_minute_ago = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60))
        for round_number in range(rounds):
            common = {"INGEST_SERVICES": str(services), "INGEST_RUN": str(round_number), "INGEST_STARTS_AT": a_minute_ago}
            runs["coalmine"].append(wrk(f"http://127.0.0.1:{server.port}/hooks/alertmanager",
                                        {**common, "INGEST_FORMAT": "webhook", "INGEST_TOKEN": token}, seconds))
            runs["alertmanager"].append(wrk(f"http://127.0.0.1:{peer.port}/api/v2/alerts",
                                            {**common, "INGEST_FORMAT": "alertmanager"}, seconds))
        coalmine_rss, peak = server.memory()
        peer_rss = peer.memory()
        count = "SELECT count(*) FROM journal WHERE kind = 'alert-received'"
        if database:
            received = int(ScratchPostgres.psql(database[0], count))
        else:
            with sqlite3.connect(server.database) as db:
                received = db.execute(count).fetchone()[0]
        server.stop()
        peer.stop()
        ours = sum(r["requests_per_second"] for r in runs["coalmine"]) / rounds
        theirs = sum(r["requests_per_second"] for r in runs["alertmanager"]) / rounds
        sent = sum(r["requests"] - r["non2xx"] for r in runs["coalmine"]) * 10
        return {
            "measure": "ingest" + (" on PostgreSQL" if postgres else "") + ": 10 new alerts a request, 64 conns",
            "seconds_each": seconds, "rounds": rounds,
            "coalmine_req_per_s": [r["requests_per_second"] for r in runs["coalmine"]],
            "coalmine_p99_ms": [r["p99_ms"] for r in runs["coalmine"]],
            "alertmanager_req_per_s": [r["requests_per_second"] for r in runs["alertmanager"]],
            "alertmanager_p99_ms": [r["p99_ms"] for r in runs["alertmanager"]],
            "ratio_to_alertmanager": round(ours / theirs, 2),
            "coalmine_non2xx": sum(r["non2xx"] + r["socket_errors"] for r in runs["coalmine"]),
            "alertmanager_non2xx": sum(r["non2xx"] + r["socket_errors"] for r in runs["alertmanager"]),
            "alerts_answered_2xx": sent, "alerts_journaled": received,
            "coalmine_rss_mib": round(coalmine_rss, 1), "coalmine_peak_rss_mib": round(peak, 1),
            "alertmanager_rss_mib": round(peer_rss, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_failover(binary, kills, lease):
    """Three replicas on one PostgreSQL database; the leader is killed -9 `kills` times (and started again, as
    Kubernetes would). Measured from each kill to the first webhook a surviving replica answers 200: the time
    alerts are refused (Alertmanager retries them) while the lead moves."""
    work = tempfile.mkdtemp(prefix="coalmine-bench-")
    try:
        database = ScratchPostgres.database()
        replicas = [Server(binary, work, postgres=database, name=f"r{i}", lease=lease) for i in range(3)]
        for replica in replicas:
            replica.start()
        api = replicas[0].secret("api-token")
        status, _ = replicas[0].request("POST", "/api/v1/rollouts/tf-model-service/start", b"{}", api)
        assert status == 200
        token = replicas[0].secret("webhook-token")
        gaps = []
        for kill in range(kills):
            leader = None
            while leader is None:
                status, body = replicas[(kill + 1) % 3].request("GET", "/api/v1/cluster", token=api)
                leader = json.loads(body).get("leader") if status == 200 else None
                time.sleep(0.05)
            victim = next(r for r in replicas if r.name == leader)
            victim.process.kill()
            victim.process.wait()
            killed = time.monotonic()
            survivors = [r for r in replicas if r is not victim]
            attempt = 0
            while True:
                # A new alert each time, so each 200 is a durable commit by whoever leads.
                body = one_alert("tf-model-service", f"FailoverProbe{kill}x{attempt}", "gate")
                try:
                    status, _ = survivors[attempt % 2].request("POST", "/hooks/alertmanager", body, token)
                except OSError:
                    status = None
                if status == 200:
                    break
                attempt += 1
                time.sleep(0.05)
            gaps.append(time.monotonic() - killed)
            victim.start()
        for replica in replicas:
            replica.stop()
        return {"measure": f"failover: leader killed -9, lease {lease}", "kills": kills,
                "median_s": round(percentile(gaps, 0.5), 2), "worst_s": round(max(gaps), 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rfc3339_ms(text):
    """Milliseconds since the epoch of Coalmine's own RFC 3339 times (UTC, `Z`, up to millisecond digits)."""
    seconds, _, fraction = text.rstrip("Z").partition(".")
    whole = calendar.timegm(time.strptime(seconds, "%Y-%m-%dT%H:%M:%S"))
    return whole * 1000 + int((fraction + "000")[:3])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine():
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")
    return f"{os.cpu_count()} cores, {model}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("double", help="the KubernetesAPIDoubleServer binary")
    parser.add_argument("--smoke", action="store_true", help="small sizes: proves the benchmarks still run")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--only", choices=["ingest", "actions", "delivery", "restart", "crash", "rollouts", "lateness", "postgres", "failover"],
                        help="run one kind of measure")
    options = parser.parse_args()
    deliveries = [1, 100] if options.smoke else [1, 100, 800, 10000]
    restart = 20000 if options.smoke else 1000000
    fleets = [1, 50] if options.smoke else [1, 1000, 10000]
    results = []
    if options.only in (None, "ingest"):
        results.append(bench_ingest(options.binary, 20, 1, rounds=1) if options.smoke else bench_ingest(options.binary, 1000, 10))
    if options.only in (None, "actions"):
        results += (bench_actions(options.binary, options.double, 5, 5, 1000, 20) if options.smoke
                    else bench_actions(options.binary, options.double, 1000, 100, 1000, 500))
    if options.only in (None, "delivery"):
        results += [bench_delivery(options.binary, count) for count in deliveries]
    if options.only in (None, "restart"):
        results.append(bench_restart(options.binary, restart))
    if options.only in (None, "crash"):
        results += bench_crash(options.binary, 20000, 2) if options.smoke else bench_crash(options.binary, 1000000, 18)
    if options.only in (None, "rollouts"):
        results += [bench_rollouts(options.binary, count) for count in fleets]
    if options.only in (None, "lateness"):
        results.append(bench_lateness(options.binary, 20, idle_seconds=1) if options.smoke else bench_lateness(options.binary, 10000))
    if options.only in (None, "postgres"):
        results.append(bench_ingest(options.binary, 20, 1, rounds=1, postgres=True) if options.smoke
                       else bench_ingest(options.binary, 1000, 10, postgres=True))
    if options.only in (None, "failover"):
        results.append(bench_failover(options.binary, 1, "3s") if options.smoke else bench_failover(options.binary, 10, "15s"))
    print(f"{time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"{'measure':<44} {'figures'}")
    for result in results:
        figures = ", ".join(f"{k} {v}" for k, v in result.items() if k not in ("measure", "answer"))
        print(f"{result['measure']:<44} {figures}")
    if options.json:
        with open(options.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "machine": machine(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
