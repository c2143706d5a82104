import CoalmineCore
import CoalmineJournal
import Foundation

// The journal's writer alone, in-process: CPU time per alert of `SQLiteJournal.commit` for storm-shaped commits
// (every alert new, for one of 1,000 rollouts, with Alertmanager-like scattered fingerprints, an audit key,
// `synchronous=FULL`). Steadier than the HTTP benchmarks on a noisy machine, so a change to the writer can be
// compared in a few alternating runs:
//   swift run -c release JournalWriterBench [alerts a commit, default 200] [commits, default 1500]

let alertsPerCommit = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200 : 200
let commitCount = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1500 : 1500
let alertsPerDelivery = 10

let directory = NSTemporaryDirectory() + "coalmine-journal-writer-bench-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: directory) }
let journal = try SQLiteJournal(path: directory + "/coalmine.db", auditKey: "bench-audit-key")

/// User plus system CPU seconds of this process, the writer's helper threads (the log's copy back) included.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

/// One delivery's unit as the engine writes it: an `alert-received` entry and a new firing alert for each of its
/// alerts, made from the entry (a firing alert stands for the delivery that started it, written once it ends).
func makeDelivery(for rollout: String, numbered first: Int, at time: Timestamp) -> JournalUnit {
    var unit = JournalUnit()
    for number in first..<(first + alertsPerDelivery) {
        // Multiplying by an odd constant scatters consecutive numbers over the whole range, one to one.
        let fingerprint = String(UInt64(number) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
        let startsAt = "2026-11-29T15:51:51.000Z"
        let observation = AlertObservation(
            status: .firing, fingerprint: fingerprint, startsAt: startsAt,
            labels: [
                "alertname": "CanaryGateBench", "service": rollout, "bench": String(number), "instance": "10.0.1.31:8501",
                "job": "tf-serving", "severity": "warning",
            ],
            annotations: ["summary": "p99 latency 1.8x stable on the canary", "value": "1.8"])
        let body = """
            {"alertname":"CanaryGateBench","annotations":{"summary":"p99 latency 1.8x stable on the canary","value":"1.8"},\
            "fingerprint":"\(fingerprint)","labels":{"alertname":"CanaryGateBench","bench":"\(number)",\
            "instance":"10.0.1.31:8501","job":"tf-serving","service":"\(rollout)","severity":"warning"},"role":"gate",\
            "source":"alertmanager","startsAt":"\(startsAt)","status":"firing"}
            """
        unit.entries.append(NewJournalEntry(rollout: rollout, run: 1, kind: .alertReceived, body: body))
        unit.firingChanges.append(
            .starts(
                rollout: rollout, FiringAlert(observation: observation, role: .gate, receivedAt: time),
                receivedIn: unit.entries.count - 1))
    }
    return unit
}

/// When the engine took the alerts of a commit: what it remembers them by.
func commitTime(_ index: Int) -> Timestamp { Timestamp(millisecondsSinceEpoch: 1_800_000_000_000 + Int64(index) * 3) }

// Built before the clock starts: only the commits are measured.
var commits: [[JournalUnit]] = []
var alertNumber = 0
for commit in 0..<commitCount {
    commits.append(
        (0..<(alertsPerCommit / alertsPerDelivery)).map { delivery in
            defer { alertNumber += alertsPerDelivery }
            return makeDelivery(for: "svc-\((commit * 37 + delivery * 101) % 1000)", numbered: alertNumber, at: commitTime(commit))
        })
}

let started = Date()
let cpuBefore = cpuSeconds()
for (index, units) in commits.enumerated() {
    try await journal.commit(units, at: commitTime(index))
    await journal.afterCommits()
}
let alerts = Double(commitCount * (alertsPerCommit / alertsPerDelivery) * alertsPerDelivery)
let cpuPerAlert = (cpuSeconds() - cpuBefore) / alerts * 1e6
let wallPerAlert = Date().timeIntervalSince(started) / alerts * 1e6
print(
    "journal writer: \(Int(alerts)) alerts in \(commitCount) commits of \(alertsPerCommit): "
        + String(format: "%.1f µs of CPU and %.1f µs of wall time per alert", cpuPerAlert, wallPerAlert))
