#!/usr/bin/env python3
"""Chaos soak: `coalmine serve` (SQLite journal) killed -9 at a random moment, again and again, while an alert storm,
human decisions and a one-click link are in flight. After every restart it checks what a user relies on:

  - every alert whose webhook was answered 2xx is in the journal (a 2xx means durable);
  - every decision answered 2xx is journaled exactly once, and none more than once (each carries its own actor);
  - the "Roll back" link acts at most once: after the restart a second POST is 409 if the first was answered 200;
  - `coalmine audit verify` finds the hash chain intact.

Usage: scripts/chaos.py BINARY [--kills N] [--seed S] [--json PATH]
Prints one line per kill and a summary; exits 1 on the first broken promise. Bounded: N kills, each after at most
1.5 s of load, every request with a timeout.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, start_all  # noqa: E402  (the benchmark's server harness, same config)

SERVICES = 20


def post(port, path, body, token, timeout=10):
    """(status, body) or (None, None) when the server went away before answering."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {token}"} if token else {})
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return None, None


def alerts_body(fingerprints, service, role="gate", name="CanaryGateChaos", starts_at="2027-01-15T08:00:00Z",
                status="firing"):
    return json.dumps({
        "receiver": "coalmine", "status": status, "version": "4", "groupKey": "{}", "truncatedAlerts": 0,
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": status, "labels": {"alertname": name, "service": service, "coalmine_role": role,
                                                   "chaos": fingerprint},
                    "annotations": {"summary": f"{name} on {service}"}, "startsAt": starts_at,
                    "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2027-01-15T09:00:00Z",
                    "fingerprint": fingerprint} for fingerprint in fingerprints],
    }).encode()


class Load:
    """The storm and the decisions of one life of the server, each on a thread of its own, until `stop`."""

    def __init__(self, server, cycle, rng):
        self.server, self.cycle, self.rng = server, cycle, rng
        self.webhook, self.api = server.secret("webhook-token"), server.secret("api-token")
        self.acked_alerts, self.acked_decisions, self.sent_decisions = set(), set(), set()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.storm), threading.Thread(target=self.decisions)]

    def storm(self):
        batch = 0
        while not self.stopping.is_set():
            fingerprints = [f"c{self.cycle}b{batch}a{i}" for i in range(10)]
            service = f"svc-{batch % SERVICES + 1}"
            status, _ = post(self.server.port, "/hooks/alertmanager", alerts_body(fingerprints, service), self.webhook)
            if status is not None and 200 <= status < 300:
                self.acked_alerts.update(fingerprints)
            batch += 1

    def decisions(self):
        number = 0
        while not self.stopping.is_set():
            service = f"svc-{self.rng.randrange(SERVICES) + 1}"
            action = self.rng.choice(["pause", "resume"])
            actor = f"chaos-c{self.cycle}d{number}"
            self.sent_decisions.add(actor)
            status, _ = post(self.server.port, f"/api/v1/rollouts/{service}/{action}",
                             json.dumps({"actor": actor}).encode(), self.api)
            if status == 200:
                self.acked_decisions.add(actor)
            number += 1
            time.sleep(0.01)

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def journal(database):
    """(alert fingerprints, decision actors with their counts, link rollbacks per run) as the journal holds them."""
    fingerprints, actors, link_actions = set(), {}, {}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        for kind, rollout, run, body in db.execute(
                "SELECT kind, rollout, run, body FROM journal WHERE kind IN ('alert-received', 'human-action')"):
            fields = json.loads(body)
            if kind == "alert-received":
                fingerprints.add(fields.get("fingerprint"))
            elif str(fields.get("actor", "")).startswith("chaos-"):
                actors[fields["actor"]] = actors.get(fields["actor"], 0) + 1
            elif str(fields.get("actor", "")).startswith("link:"):
                link_actions[(rollout, run)] = link_actions.get((rollout, run), 0) + 1
    return fingerprints, actors, link_actions


def newest_link(log_path, since):
    """The newest "Roll back" link the log notifier printed after `since` (only the example rollout is paged)."""
    with open(log_path, errors="replace") as f:
        f.seek(since)
        found = [line for line in f if "Roll back: http" in line]
    if not found:
        return None
    return re.findall(r"Roll back: (http://[^ \\]+)", found[-1])[-1]


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--json")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    work = tempfile.mkdtemp(prefix="coalmine-chaos-")
    failures = []
    totals = {"kills": 0, "alerts_acked": 0, "alerts_journaled": 0, "decisions_acked": 0, "decisions_journaled": 0,
              "decisions_doubled": 0, "links_clicked_200": 0, "links_acted_twice": 0, "audit_failures": 0}
    print(f"chaos: {options.kills} kills, seed {options.seed}, in {work}")
    try:
        server = Server(options.binary, work, rollouts=SERVICES + 1)
        server.start()
        start_all(server, [f"svc-{i}" for i in range(1, SERVICES + 1)])
        log_path = os.path.join(work, f"{server.name}.log")
        all_acked_alerts, all_acked_decisions = set(), set()
        for cycle in range(options.kills):
            api = server.secret("api-token")
            # A human is paged: the breaker on the example rollout, started afresh for this cycle once the last
            # cycle's breaker alert has resolved.
            breaker = lambda n, status: alerts_body(
                [f"breaker-{n}"], "tf-model-service", role="breaker", name="CanaryErrorRatioHigh",
                starts_at=f"2027-01-15T08:{n // 60 % 60:02d}:{n % 60:02d}Z", status=status)
            if cycle > 0:
                post(server.port, "/hooks/alertmanager", breaker(cycle - 1, "resolved"), server.secret("webhook-token"))
            started = post(server.port, "/api/v1/rollouts/tf-model-service/start", b"{}", api)
            if started[0] == 409:
                # Still waiting for the human from a cycle whose click was lost: decide, then start.
                post(server.port, "/api/v1/rollouts/tf-model-service/rollback", b'{"actor": "reset"}', api)
                started = post(server.port, "/api/v1/rollouts/tf-model-service/start", b"{}", api)
            log_size = os.path.getsize(log_path)
            paged = post(server.port, "/hooks/alertmanager", breaker(cycle, "firing"), server.secret("webhook-token"))
            link = wait_for(lambda: newest_link(log_path, log_size), 10)
            if not link:
                print(f"kill {cycle + 1:>3}: no link was printed (start {started}, breaker {paged})")
            load = Load(server, cycle, rng)
            load.start()
            click = {}
            if link:
                path = urllib.parse.urlparse(link).path
                timer = threading.Timer(rng.uniform(0, 1.0), lambda: click.update(status=post(server.port, path, b"", None)[0]))
                timer.start()
            time.sleep(rng.uniform(0.2, 1.5))
            server.process.kill()
            server.process.wait()
            load.stop()
            if link:
                timer.join()
            totals["kills"] += 1
            server.start()
            all_acked_alerts |= load.acked_alerts
            all_acked_decisions |= load.acked_decisions
            fingerprints, actors, link_actions = journal(server.database)
            lost = load.acked_alerts - fingerprints
            missing = {a for a in load.acked_decisions if actors.get(a, 0) != 1}
            doubled = {a for a, n in actors.items() if n > 1}
            twice = {k: n for k, n in link_actions.items() if n > 1}
            if link and click.get("status") == 200:
                totals["links_clicked_200"] += 1
                again = post(server.port, urllib.parse.urlparse(link).path, b"", None)[0]
                if again != 409:
                    failures.append(f"kill {cycle}: the link answered 200 before the kill and {again} after it")
            elif link and click.get("status") is None:
                # Unanswered (or not sent) when the server died: clicking again acts only if the first did not.
                again = post(server.port, urllib.parse.urlparse(link).path, b"", None)[0]
                totals["links_clicked_again"] = totals.get("links_clicked_again", 0) + 1
                if again not in (200, 409):
                    failures.append(f"kill {cycle}: the link clicked again after the kill answered {again}")
                fingerprints, actors, link_actions = journal(server.database)
                twice = {k: n for k, n in link_actions.items() if n > 1}
            audit = subprocess.run([options.binary, "audit", "verify", "--config", server.config],
                                   capture_output=True, text=True)
            if audit.returncode != 0:
                totals["audit_failures"] += 1
                failures.append(f"kill {cycle}: audit verify: {audit.stdout.strip()} {audit.stderr.strip()}")
            if lost:
                failures.append(f"kill {cycle}: {len(lost)} alerts answered 2xx are not in the journal, e.g. {sorted(lost)[:3]}")
            if missing:
                failures.append(f"kill {cycle}: decisions answered 200 not journaled once: {sorted(missing)[:3]}")
            if doubled or twice:
                failures.append(f"kill {cycle}: journaled twice: {sorted(doubled)[:3]} {twice}")
            totals["decisions_doubled"] += len(doubled)
            totals["links_acted_twice"] += len(twice)
            print(f"kill {cycle + 1:>3}: alerts acked {len(load.acked_alerts):>5}, decisions acked "
                  f"{len(load.acked_decisions):>3}, link {click.get('status', '-')}, audit "
                  f"{'intact' if audit.returncode == 0 else 'BROKEN'}", flush=True)
            if failures:
                break
        fingerprints, actors, _ = journal(server.database)
        totals.update(alerts_acked=len(all_acked_alerts), alerts_journaled=len(all_acked_alerts & fingerprints),
                      decisions_acked=len(all_acked_decisions),
                      decisions_journaled=sum(1 for a in all_acked_decisions if actors.get(a) == 1))
        server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("chaos: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    if options.json:
        with open(options.json, "w") as f:
            json.dump({"seed": options.seed, "totals": totals, "failures": failures}, f, indent=2)
    for failure in failures:
        print("FAIL " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
