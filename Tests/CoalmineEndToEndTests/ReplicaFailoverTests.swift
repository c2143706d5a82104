import CoalmineCore
import CoalmineKubernetes
import CoalmineTestSupport
import Crypto
import Foundation
import Synchronization
import Testing

/// Replicas of the built binary on one PostgreSQL database: any replica takes requests, one leads, a killed or
/// paused leader is replaced without losing an acknowledged alert or acting twice. Enabled with the end-to-end
/// suite when the scratch PostgreSQL runs (scripts/test.sh starts both).
@Suite(.serialized) struct ReplicaFailoverTests {
    static let enabled = BreakerLoopTests.enabled && ScratchPostgres.isAvailable

    /// Runs `scenario` in a world of `replicas` processes; a failure carries the replicas' logs.
    static func inWorld(
        replicas: Int, rollouts: [String], bake: String = "1h", actions: String? = nil,
        _ scenario: @Sendable (ReplicaWorld, KubernetesAPIDouble, ChatCaptureServer) async throws -> Void
    ) async throws {
        let workspace = try TestWorkspace()
        let double = KubernetesAPIDouble()
        let capture = ChatCaptureServer()
        let database = try await ScratchPostgres.freshDatabase()
        try await double.run { kubernetes in
            try await capture.run { chat in
                let world = try ReplicaWorld(
                    directory: workspace.directory, replicas: replicas, rollouts: rollouts, bake: bake, actions: actions,
                    kubernetes: kubernetes,
                    chat: chat, database: database, double: double)
                defer { world.stop() }
                do {
                    try await scenario(world, double, capture)
                } catch {
                    Issue.record("\(error)\n\(world.logs)")
                }
            }
        }
    }

    static func canaryWeight(_ double: KubernetesAPIDouble, _ rollout: String) -> Int64? {
        double.object("virtualservices", namespace: "ml", name: "\(rollout)-route")?["spec"]?["http"]?[0]?["route"]?[1]?["weight"]?.int
    }

    /// A notice's identity: the same rollout, run, state version and event is the same notice.
    static func noticeID(_ json: [String: Any]) -> String? {
        guard let rollout = json["rollout"] as? String, let run = json["run"] as? Int,
            let version = json["stateVersion"] as? Int, let event = json["event"] as? String
        else { return nil }
        return "\(rollout)/\(run)/\(version)/\(event)"
    }

    /// The notice inside a journaled `effect-requested` of the notifier lane.
    static func requestedNoticeID(_ entry: [String: Any], rollout: String) -> String? {
        guard entry["kind"] as? String == "effect-requested", let body = entry["body"] as? [String: Any],
            (body["lane"] as? String)?.hasPrefix("notifier:") == true
        else { return nil }
        func find(_ value: Any) -> [String: Any]? {
            if let object = value as? [String: Any] {
                if object["stateVersion"] != nil, object["kind"] != nil { return object }
                for child in object.values { if let found = find(child) { return found } }
            }
            return nil
        }
        guard let notice = find(body), let run = notice["run"] as? Int, let version = notice["stateVersion"] as? Int,
            let kind = notice["kind"] as? String
        else { return nil }
        return "\(rollout)/\(run)/\(version)/\(kind)"
    }

    /// Tries replicas in turn, as Alertmanager's retries would reach a live one, until one answers 200.
    static func deliver(_ body: Data, _ world: ReplicaWorld, startingAt first: Int) async throws -> Int {
        let token = try world.webhookToken
        for attempt in 0..<400 {
            let replica = (first + attempt) % world.ports.count
            if let answer = try? await world.request(.POST, "\(world.url(replica))/hooks/alertmanager", token: token, json: body),
                answer.status == 200
            {
                return attempt
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ReplicaWorld.Refused(description: "no replica took a delivery in 400 attempts")
    }

    /// Asks the running replicas who leads, until one of them names a leader.
    static func currentLeader(_ world: ReplicaWorld) async throws -> Int {
        let found = Mutex<Int?>(nil)
        try await eventually("a leader", within: .seconds(30)) {
            for replica in world.ports.indices where world.isRunning(replica) {
                if let leader = try? await world.leader(asking: replica), world.isRunning(leader) {
                    found.withLock { $0 = leader }
                    return true
                }
            }
            return false
        }
        return found.withLock { $0! }
    }

    @Test(.enabled(if: enabled), .timeLimit(.minutes(6)))
    func aStormOverThreeReplicasSurvivesTwoLeaderKillsWithEveryAlertJournaledOnce() async throws {
        let rollouts = (0..<20).map { "model-\($0)" }
        try await Self.inWorld(replicas: 3, rollouts: rollouts) { world, double, capture in
            try await Self.storm(world, double, capture, rollouts)
        }
    }

    static func storm(_ world: ReplicaWorld, _ double: KubernetesAPIDouble, _ capture: ChatCaptureServer, _ rollouts: [String]) async throws {
        try await world.start(0)
        try await eventually("r0 to lead") { try await world.leader(asking: 0) == 0 }
        try await world.start(1)
        try await world.start(2)
        for (index, rollout) in rollouts.enumerated() {
            _ = try await world.api(
                .POST, "/api/v1/rollouts/\(rollout)/start", via: index % 3,
                json: ["actor": "alice", "canaryVersion": "2.13.0-gpu", "stableVersion": "2.12.0"])
        }

        // 2,000 distinct alerts, ten a request. The first ten abort rollouts 0–9; the rest are gates.
        let requests = (0..<200).map { request in
            ReplicaWorld.webhook(
                (0..<10).map { offset in
                    let alert = request * 10 + offset
                    return ("fp-\(alert)", alert < 10 ? "Abort" : "Gate", rollouts[alert % rollouts.count])
                })
        }
        let storm = try await Self.sendKillingLeaders(requests, world)
        #expect(storm.accepted == 200)
        #expect(storm.kills.count == 2)
        #expect(storm.retried > 0, "the kills were felt: some deliveries were refused and sent again")
        #expect(storm.failovers.allSatisfy { $0 <= .seconds(3 + 5) }, "a new leader within leaderLease + 5s: \(storm.failovers)")
        let leader = try await Self.currentLeader(world)

        // Every alert answered 200 is in the journal exactly once.
        var histories: [String: [[String: Any]]] = [:]
        for rollout in rollouts { histories[rollout] = try await world.history(of: rollout, via: leader) }
        var received: [String: Int] = [:]
        for entry in histories.values.joined() where entry["kind"] as? String == "alert-received" {
            if let fingerprint = (entry["body"] as? [String: Any])?["fingerprint"] as? String { received[fingerprint, default: 0] += 1 }
        }
        #expect(received.count == 2000, "every acknowledged alert is journaled")
        #expect(received.values.allSatisfy { $0 == 1 }, "none twice: \(received.filter { $0.value > 1 }.keys.sorted().prefix(5))")

        // The weights on the cluster converge to what the journal says.
        try await eventually("the VirtualServices to match the journal", within: .seconds(60)) {
            for rollout in rollouts {
                let view = try await world.api(.GET, "/api/v1/rollouts/\(rollout)", via: leader).json
                guard let weight = view["canaryWeight"] as? Int, Self.canaryWeight(double, rollout) == Int64(weight) else {
                    return false
                }
            }
            return true
        }
        for (index, rollout) in rollouts.enumerated() {
            #expect(Self.canaryWeight(double, rollout) == (index < 10 ? 0 : 5), "\(rollout): aborted ones back at 0, gated ones held at 5")
        }

        // Every notice the journal asked for reaches the chat once, or twice where a kill cut its delivery short.
        var requested = Set<String>()
        for (rollout, entries) in histories {
            for entry in entries { if let id = Self.requestedNoticeID(entry, rollout: rollout) { requested.insert(id) } }
        }
        try await eventually("every requested notice to arrive", within: .seconds(60)) { [requested] in
            Set(capture.captured("notices").compactMap { Self.noticeID($0.json) }).isSuperset(of: requested)
        }
        try await Task.sleep(for: .seconds(2))
        var deliveries: [String: Int] = [:]
        for notice in capture.captured("notices") { if let id = Self.noticeID(notice.json) { deliveries[id, default: 0] += 1 } }
        #expect(requested.count >= 50, "started 20, paused 10, rolling back and rolled back 10 each")
        #expect(Set(deliveries.keys) == requested, "no notice the journal did not ask for")
        #expect(deliveries.values.allSatisfy { $0 <= 2 }, "\(deliveries.filter { $0.value > 2 })")
        #expect(deliveries.values.filter { $0 == 2 }.count <= 2, "a repeat only where one of the two kills cut a delivery")

        let verify = try ManagedProcess(
            "audit", ReplicaWorld.binary, ["audit", "verify", "--config", "\(world.directory)/r\(leader).yaml"],
            logDirectory: world.directory)
        while verify.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        let output = try String(contentsOfFile: verify.logPath, encoding: .utf8)
        #expect(verify.exitStatus == 0)
        #expect(output.contains("hash chain intact"), "\(output)")
    }

    /// Sends `requests` from eight senders, each to the next replica while one refuses, and kills -9 whoever
    /// leads once a third and again once two thirds of them are in, bringing the killed replica back as
    /// Kubernetes would.
    static func sendKillingLeaders(_ requests: [Data], _ world: ReplicaWorld) async throws -> StormProgress {
            let storm = StormProgress()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while true {
                        guard let index = storm.take(below: requests.count) else { return }
                        storm.accept(afterRetries: try await Self.deliver(requests[index], world, startingAt: index % 3))
                    }
                }
            }
            group.addTask {
                // Kill -9 whoever leads once a third, then again once two thirds of the storm are in; bring the
                // killed replica back as Kubernetes would.
                for threshold in [60, 130] {
                    while storm.accepted < threshold { try await Task.sleep(for: .milliseconds(20)) }
                    let leader = try await Self.currentLeader(world)
                    world.send(SIGKILL, to: leader)
                    let killedAt = ContinuousClock.now
                    _ = try await Self.currentLeader(world)
                    storm.killed(leader, replacedAfter: ContinuousClock.now - killedAt)
                    try await world.start(leader)
                }
            }
            try await group.waitForAll()
        }
        return storm
    }

    @Test(.enabled(if: enabled), .timeLimit(.minutes(3)))
    func aLeaderPausedPastItsLeaseWritesNothingWhenItWakes() async throws {
        try await Self.inWorld(replicas: 2, rollouts: ["tf-model-service"], bake: "8s") { world, double, _ in
            try await world.start(0)
            try await eventually("r0 to lead") { try await world.leader(asking: 0) == 0 }
            try await world.start(1)
            _ = try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start", via: 0, json: ["actor": "alice"])
            try await eventually("the first step on the cluster") { Self.canaryWeight(double, "tf-model-service") == 5 }

            // r0 stops mid-bake and sleeps past its lease and the step's deadline; r1 takes over and a human rolls
            // back through it.
            world.send(SIGSTOP, to: 0)
            try await eventually("r1 to lead", within: .seconds(20)) { try await world.leader(asking: 1) == 1 }
            _ = try await world.api(.POST, "/api/v1/rollouts/tf-model-service/rollback", via: 1, json: ["actor": "bob", "reason": "pause test"])
            try await eventually("the rollback on the cluster") { Self.canaryWeight(double, "tf-model-service") == 0 }
            try await Task.sleep(for: .seconds(9))
            let entriesBefore = try await world.history(of: "tf-model-service", via: 1).count
            let patchesBefore = double.requests.filter { $0.method == "PATCH" }.count

            // Woken, r0 still believes the rollout is at 5 % with its step due. It must write nothing.
            world.send(SIGCONT, to: 0)
            try await Task.sleep(for: .seconds(5))
            #expect(double.requests.filter { $0.method == "PATCH" }.count == patchesBefore, "no weight from the woken replica")
            #expect(Self.canaryWeight(double, "tf-model-service") == 0)
            let entries = try await world.history(of: "tf-model-service", via: 1)
            #expect(entries.count == entriesBefore, "nothing journaled by the woken replica: \(entries.suffix(3))")
            #expect(try await world.leader(asking: 0) == 1, "r0 forwards to and names the new leader")
            #expect(try await world.request(.GET, "\(world.url(0))/readyz").status == 200, "a refused commit is not a broken journal")
            let view = try await world.api(.GET, "/api/v1/rollouts/tf-model-service", via: 0).json
            #expect(view["state"] as? String == "rolled-back", "r0 answers with the leader's state")
        }
    }
}

extension ReplicaFailoverTests {
    @Test(.enabled(if: enabled), .timeLimit(.minutes(3)))
    func bothAlertmanagersOfAnHAPairDeliverAndTheAlertActsOnce() async throws {
        try await Self.inWorld(replicas: 2, rollouts: ["tf-model-service"]) { world, double, capture in
            try await world.start(0)
            try await eventually("r0 to lead") { try await world.leader(asking: 0) == 0 }
            try await world.start(1)
            _ = try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start", via: 1, json: ["actor": "alice"])
            try await eventually("the first step on the cluster") { Self.canaryWeight(double, "tf-model-service") == 5 }

            // Two real Alertmanagers clustered with each other, each sending to a different replica.
            let webPorts = [try freePort(), try freePort()]
            let clusterPorts = [try freePort(), try freePort()]
            var alertmanagers: [ManagedProcess] = []
            defer { for alertmanager in alertmanagers { alertmanager.stop() } }
            for index in 0..<2 {
                try """
                    route:
                      receiver: coalmine
                      group_by: [alertname]
                      group_wait: 1s
                      group_interval: 1s
                      repeat_interval: 2s
                    receivers:
                      - name: coalmine
                        webhook_configs:
                          - url: \(world.url(index))/hooks/alertmanager
                            send_resolved: true
                            http_config: { authorization: { credentials_file: "\(world.directory)/webhook-token" } }
                    """.write(toFile: "\(world.directory)/am\(index).yml", atomically: true, encoding: .utf8)
                alertmanagers.append(
                    try ManagedProcess(
                        "alertmanager-\(index)", "/usr/bin/prometheus-alertmanager",
                        [
                            "--config.file=\(world.directory)/am\(index).yml", "--storage.path=\(world.directory)/am\(index)",
                            "--web.listen-address=127.0.0.1:\(webPorts[index])",
                            "--cluster.listen-address=127.0.0.1:\(clusterPorts[index])",
                            "--cluster.peer=127.0.0.1:\(clusterPorts[1 - index])",
                            // No wait for the peer's notification log: both deliver, as a pair does whenever its
                            // gossip lags (without it the second stays silent while the first succeeds).
                            "--cluster.peer-timeout=0s",
                        ],
                        logDirectory: world.directory))
            }
            for port in webPorts {
                try await eventually("Alertmanager on \(port)") {
                    try await world.request(.GET, "http://127.0.0.1:\(port)/-/ready").status == 200
                }
            }
            // As Prometheus does: the same alert to every Alertmanager.
            let alert = try JSONSerialization.data(withJSONObject: [
                ["labels": ["alertname": "Abort", "service": "tf-model-service"], "startsAt": "2026-11-29T08:00:00Z"]
            ])
            for port in webPorts {
                let answer = try await world.request(.POST, "http://127.0.0.1:\(port)/api/v2/alerts", json: alert)
                #expect(answer.status == 200)
            }
            try await eventually("the rollback on the cluster", within: .seconds(60)) { Self.canaryWeight(double, "tf-model-service") == 0 }
            // Both send (once the pair has settled, about ten seconds), and re-send at their repeat interval.
            try await eventually("both Alertmanagers to have delivered", within: .seconds(60)) {
                for port in webPorts {
                    let metrics = String(decoding: try await world.request(.GET, "http://127.0.0.1:\(port)/metrics").body, as: UTF8.self)
                    let sent = metrics.split(separator: "\n").first { $0.hasPrefix(#"alertmanager_notifications_total{integration="webhook"}"#) }
                    guard let count = sent.flatMap({ Int($0.split(separator: " ").last ?? "") }), count >= 1 else { return false }
                }
                return true
            }
            let entries = try await world.history(of: "tf-model-service", via: 1)
            #expect(entries.filter { $0["kind"] as? String == "alert-received" }.count == 1, "one alert, however often delivered")
            let rollbacks = entries.filter {
                $0["kind"] as? String == "transition" && ($0["body"] as? [String: Any])?["to"] as? String == "rolling-back"
            }
            #expect(rollbacks.count == 1)
            let pages = capture.captured("notices").filter { $0.json["event"] as? String == "rolling-back" }
            #expect(pages.count == 1, "one page for one alert")
        }
    }
}

extension ReplicaFailoverTests {
    @Test(.enabled(if: enabled), .timeLimit(.minutes(2)))
    func aFollowerAnswersHealthItselfAndForwardsEverythingElseToTheLeader() async throws {
        try await Self.inWorld(replicas: 2, rollouts: ["tf-model-service"]) { world, _, _ in
            try await world.start(0)
            try await eventually("r0 to lead") { try await world.leader(asking: 0) == 0 }
            try await world.start(1)
            try await eventually("r1 to know the leader") { try await world.leader(asking: 1) == 0 }

            #expect(try await world.request(.GET, "\(world.url(1))/readyz").status == 200, "followers serve too")
            let metrics = { (replica: Int) async throws -> String in
                String(decoding: try await world.request(.GET, "\(world.url(replica))/metrics").body, as: UTF8.self)
            }
            #expect(try await metrics(0).contains(#"coalmine_leader{replica="r0"} 1"#))
            #expect(try await metrics(1).contains(#"coalmine_leader{replica="r1"} 0"#))
            #expect(try await metrics(0).contains("coalmine_canary_weight{"), "rollout series from the leader")
            #expect(try await !metrics(1).contains("coalmine_canary_weight{"), "and from the leader alone")

            let cluster = try await world.api(.GET, "/api/v1/cluster", via: 1).json
            #expect(cluster["answeredBy"] as? String == "r1")
            #expect((cluster["replicas"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["r0", "r1"])
            #expect(try await world.request(.GET, "\(world.url(1))/api/v1/cluster").status == 401, "the cluster view needs the API token")

            // The leader's answers, refusals included, come back through the follower unchanged.
            let viaFollower = try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start", via: 1, json: ["actor": "alice"]).json
            #expect(viaFollower["state"] as? String == "observing")
            let refused = try await world.request(
                .POST, "\(world.url(1))/hooks/alertmanager", token: "wrong", json: ReplicaWorld.webhook([("f", "Gate", "tf-model-service")]))
            #expect(refused.status == 401)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("missing or wrong credentials"), "the leader's own words")
            let conflict = try await world.request(
                .POST, "\(world.url(1))/api/v1/rollouts/tf-model-service/start", token: try world.apiToken,
                json: try JSONSerialization.data(withJSONObject: ["actor": "bob"]))
            #expect(conflict.status == 409, "already running: the leader's refusal, relayed")

            // A request already forwarded once is never passed on again: a follower refuses it rather than loop.
            let looped = try await world.request(
                .GET, "\(world.url(1))/api/v1/rollouts", token: try world.apiToken, headers: ["X-Coalmine-Forwarded-By": "r0"])
            #expect(looped.status == 503)

            let status = try await Self.cli(world, ["status", "--config", "\(world.directory)/r1.yaml"])
            #expect(status.contains("leader r0 (term 1); replicas: r0, r1; answered by r1"), "\(status)")
        }
    }

    @Test(.enabled(if: enabled), .timeLimit(.minutes(2)))
    func theLeaderBelievesAForwardedClientAddressOnlyWithAReplicasProof() async throws {
        let proxy = #"identityHeader: X-Forwarded-Email, trustedProxy: { cidrs: ["10.0.0.0/8"] }"#
        try await Self.inWorld(replicas: 2, rollouts: ["tf-model-service"], actions: proxy) { world, _, capture in
            try await world.start(0)
            try await eventually("r0 to lead") { try await world.leader(asking: 0) == 0 }
            try await world.start(1)
            _ = try await world.api(.POST, "/api/v1/rollouts/tf-model-service/start", via: 1, json: ["actor": "alice"])
            _ = try await Self.deliver(ReplicaWorld.webhook([("g1", "Gate", "tf-model-service")]), world, startingAt: 1)
            let link = Mutex<String?>(nil)
            try await eventually("a paused notice with links") {
                let paused = capture.captured("notices").first { $0.json["event"] as? String == "paused" }
                let actions = paused?.json["actions"] as? [[String: Any]]
                link.withLock { $0 = actions?.first { $0["action"] as? String == "rollback" }?["url"] as? String }
                return link.withLock { $0 } != nil
            }
            let url = try #require(link.withLock { $0 })
            let path = String(url[try #require(url.range(of: "/actions/")).lowerBound...])

            // Straight to the leader from 127.0.0.1, claiming a proxy's address without the replicas' proof.
            var headers = [
                "X-Forwarded-Email": "mallory@example.com", "X-Coalmine-Forwarded-By": "r1",
                "X-Coalmine-Forwarded-Peer": "10.0.0.7", "X-Coalmine-Forwarded-Proof": String(repeating: "0", count: 64),
            ]
            let forged = try await world.request(.POST, "\(world.url(0))\(path)", headers: headers)
            #expect(forged.status == 401, "the claimed address is not believed")
            // With the proof a replica makes (an HMAC under the API token every replica holds), it is.
            let material = Data("r1\n10.0.0.7\nPOST\n\(path)".utf8)
            headers["X-Forwarded-Email"] = "alice@example.com"
            headers["X-Coalmine-Forwarded-Proof"] = HMAC<SHA256>.authenticationCode(
                for: material, using: SymmetricKey(data: Data(try world.apiToken.utf8))
            ).map { String(format: "%02x", $0) }.joined()
            let vouched = try await world.request(.POST, "\(world.url(0))\(path)", headers: headers)
            #expect(vouched.status == 200)
            let view = try await world.api(.GET, "/api/v1/rollouts/tf-model-service", via: 0).json
            #expect(["rolling-back", "rolled-back"].contains(view["state"] as? String))
            let actions = try await world.history(of: "tf-model-service", via: 1).filter { $0["kind"] as? String == "human-action" }
            #expect((actions.last?["body"] as? [String: Any])?["actor"] as? String == "alice@example.com")
        }
    }

    static func cli(_ world: ReplicaWorld, _ arguments: [String]) async throws -> String {
        let process = try ManagedProcess("cli-\(arguments[0])", ReplicaWorld.binary, arguments, logDirectory: world.directory)
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return try String(contentsOfFile: process.logPath, encoding: .utf8)
    }
}

/// Shared by the storm's senders and its killer.
final class StormProgress: Sendable {
    private struct State {
        var next = 0
        var accepted = 0
        /// Requests that needed more than one try: they met a killed leader or a failover.
        var retried = 0
        var kills: [Int] = []
        var failovers: [Duration] = []
    }

    private let state = Mutex(State())

    /// The next request to send, nil once all are taken.
    func take(below count: Int) -> Int? {
        state.withLock { state in
            guard state.next < count else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func accept(afterRetries retries: Int) {
        state.withLock { state in
            state.accepted += 1
            if retries > 0 { state.retried += 1 }
        }
    }
    func killed(_ replica: Int, replacedAfter failover: Duration) {
        state.withLock { state in
            state.kills.append(replica)
            state.failovers.append(failover)
        }
    }
    var accepted: Int { state.withLock { $0.accepted } }
    var kills: [Int] { state.withLock { $0.kills } }
    var retried: Int { state.withLock { $0.retried } }
    /// From each kill until a live replica led.
    var failovers: [Duration] { state.withLock { $0.failovers } }
}
