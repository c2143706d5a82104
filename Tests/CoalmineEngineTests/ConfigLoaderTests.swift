import CoalmineCore
import CoalmineEngine
import Foundation
import Testing

@Suite struct ConfigLoaderTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let minimalRollout = """
        rollouts:
          - { name: tf-model-service, namespace: ml, virtualService: tf-model-route, stableSubset: v1, canarySubset: v2 }
        """

    @Test func theShippedConfigLoadsWithItsDocumentedDefaults() throws {
        let config = try ConfigLoader.load(path: "\(Self.repositoryRoot)/config/coalmine.yaml")
        #expect(config.server.listenHost == "127.0.0.1")
        #expect(config.server.listenPort == 9095)
        #expect(config.store.sqlitePath == "data/coalmine.db")
        #expect(config.kubernetes.mode == .dryRun)
        let rollout = try #require(config.rollout(named: "tf-model-service"))
        #expect(rollout.policy.steps == [5, 10, 30, 50, 100])
        #expect(rollout.policy.bake == .seconds(86_400))
        #expect(rollout.policy.breaker == BreakerPolicy(errorRatio: 0.01, window: .seconds(300)))
        #expect(rollout.policy.awaitingHuman.autoRollbackAfter == nil)
        #expect(rollout.alerts.roles == [RoleRule(match: ["alertname": "TFServingOpKernelMissing"], role: .abort)])
        #expect(rollout.notify == ["console"])
    }

    @Test func defaultsFillEverythingNotWritten() throws {
        let config = try ConfigLoader.parse(Self.minimalRollout)
        #expect(config.server == ServerSettings())
        #expect(config.notifiers == [NotifierSettings(name: "console", kind: .log)])
        #expect(config.rollouts[0].policy == RolloutPolicy())
        #expect(config.rollouts[0].notify == ["console"])
    }

    @Test func perRolloutKeysOverrideDefaultsFieldByField() throws {
        let config = try ConfigLoader.parse(
            """
            defaults:
              bake: 2h
              breaker: { errorRatio: 0.02, window: 10m }
            rollouts:
              - name: tf-model-service
                namespace: ml
                virtualService: tf-model-route
                stableSubset: v1
                canarySubset: v2
                steps: [25, 100]
                requireApprovalBefore: [100]
                breaker: { window: 3m }
                awaitingHuman: { autoRollbackAfter: 1h }
            """)
        let policy = config.rollouts[0].policy
        #expect(policy.steps == [25, 100])
        #expect(policy.bake == .seconds(7200))
        #expect(policy.requireApprovalBefore == [100])
        #expect(policy.breaker == BreakerPolicy(errorRatio: 0.02, window: .seconds(180)))
        #expect(policy.awaitingHuman == EscalationPolicy(renotifyEvery: .seconds(1800), autoRollbackAfter: .seconds(3600)))
    }

    @Test(arguments: [
        ("steps: [5, 50, 30, 100]", "rollouts[0].steps: weights must strictly increase and end at 100"),
        ("steps: [5, 10, 50]", "rollouts[0].steps: weights must strictly increase and end at 100"),
        ("steps: [0, 100]", "rollouts[0].steps: weights must be between 1 and 100"),
        ("bake: 1.5h", "rollouts[0].bake: expected a duration such as 30s, 5m, 24h or 2d, found '1.5h'"),
        ("bake: 0s", "rollouts[0].bake: must be longer than zero"),
        ("bake: 36501d", "rollouts[0].bake: must be at most 36500d, found '36501d'"),
        ("requireApprovalBefore: [40]", "rollouts[0].requireApprovalBefore: 40 is not one of the steps [5, 10, 30, 50, 100]"),
        ("breaker: { errorRatio: 1 }", "rollouts[0].breaker.errorRatio: must be between 0 and 1 (0.01 is 1 %), found 1.0"),
        ("brekaer: { errorRatio: 0.5 }", "rollouts[0].brekaer: unknown key"),
        ("notify: [slack]", "rollouts[0].notify[0]: no notifier is named 'slack'"),
        ("alerts: { roles: [{ match: { alertname: X }, role: stop }] }",
         "rollouts[0].alerts.roles[0].role: expected breaker, gate or abort, found 'stop'"),
        ("awaitingHuman: { autoRollbackAfter: soon }",
         "rollouts[0].awaitingHuman.autoRollbackAfter: expected a duration such as 30s, 5m, 24h or 2d, found 'soon'"),
    ])
    func eachRolloutProblemIsNamedByItsKeyPath(line: String, problem: String) {
        let text = """
            rollouts:
              - name: tf-model-service
                namespace: ml
                virtualService: tf-model-route
                stableSubset: v1
                canarySubset: v2
                \(line)
            """
        do {
            _ = try ConfigLoader.parse(text)
            Issue.record("a config with a problem loaded")
        } catch {
            #expect(error.problems.map(\.description) == [problem])
        }
    }

    @Test func everyProblemIsReportedAtOnce() {
        let text = """
            server:
              listen: "localhost"
              publicURL: "ftp://x"
              webhook: { auth: { bearerToken: "inline-secret" } }
            kubernetes: { mode: in-cluster, context: prod, istioAPIVersion: v1alpha3 }
            rollouts:
              - { name: TF_Model, namespace: ml, stableSubset: v1, canarySubset: v1 }
              - { name: ok, namespace: ml, virtualService: vs, stableSubset: v1, canarySubset: v2 }
              - { name: ok, namespace: ml, virtualService: vs, stableSubset: v1, canarySubset: v2 }
            """
        do {
            _ = try ConfigLoader.parse(text)
            Issue.record("a config with problems loaded")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "server.listen: expected host:port such as 127.0.0.1:9095, found 'localhost'",
                    "server.publicURL: must start with http:// or https://, found 'ftp://x'",
                    "server.webhook.auth: set bearerTokenFile or basic: { username, passwordFile }",
                    "server.webhook.auth.bearerToken: unknown key",
                    "kubernetes.context: applies only to mode: kubeconfig",
                    "kubernetes.istioAPIVersion: expected v1 or v1beta1, found 'v1alpha3'",
                    "rollouts[0].name: 'TF_Model' is not a DNS label (lowercase letters, digits and '-', 1 to 63)",
                    "rollouts[0].virtualService: is required",
                    "rollouts[0].canarySubset: must differ from stableSubset ('v1')",
                    "rollouts[2].name: rollout name 'ok' is used twice",
                ])
        }
    }

    @Test func aHeaderStageComesFromDefaultsOrTheRolloutAndNullTurnsItOff() throws {
        let config = try ConfigLoader.parse(
            """
            defaults:
              bake: 6h
              headerStage: { header: x-user-group, exact: internal }
            rollouts:
              - { name: a, namespace: ml, virtualService: vs-a, stableSubset: v1, canarySubset: v2 }
              - name: b
                namespace: ml
                virtualService: vs-b
                stableSubset: v1
                canarySubset: v2
                headerStage: { header: x-user-bucket, regex: "^[0-4]$", bake: 2h }
              - { name: c, namespace: ml, virtualService: vs-c, stableSubset: v1, canarySubset: v2, headerStage: null }
            """)
        #expect(
            config.rollouts[0].policy.headerStage
                == HeaderStage(match: HeaderMatch(header: "x-user-group", kind: .exact, value: "internal")))
        #expect(
            config.rollouts[1].policy.headerStage
                == HeaderStage(match: HeaderMatch(header: "x-user-bucket", kind: .regex, value: "^[0-4]$"), bake: .seconds(7200)))
        #expect(config.rollouts[2].policy.headerStage == nil)
    }

    @Test func aHeaderStageNamesWhatIsWrongWithIt() {
        func problems(_ stage: String) -> [String] {
            do {
                _ = try ConfigLoader.parse(
                    "rollouts:\n  - { name: a, namespace: ml, virtualService: vs, stableSubset: v1, canarySubset: v2, headerStage: \(stage) }")
                return []
            } catch {
                return error.problems.map(\.description)
            }
        }
        #expect(
            problems("{ header: X-User-Group, exact: internal }") == [
                "rollouts[0].headerStage.header: 'X-User-Group' is not a lowercase header name (Istio matches only lowercase names)"
            ])
        #expect(problems("{ header: x-user-group }") == ["rollouts[0].headerStage: needs exact or regex"])
        #expect(
            problems("{ header: x-user-group, exact: internal, regex: \"^i\" }") == [
                "rollouts[0].headerStage: give exact or regex, not both"
            ])
        #expect(
            problems("{ header: x-user-bucket, regex: \"^[0-4\" }") == [
                "rollouts[0].headerStage.regex: '^[0-4' is not a regular expression"
            ])
        #expect(problems("{ exact: internal }") == ["rollouts[0].headerStage.header: is required"])
        #expect(problems("{ header: x-user-group, exact: internal, bake: soon }").count == 1)
        #expect(problems("{ header: x-user-group, exact: internal, weight: 5 }") == ["rollouts[0].headerStage.weight: unknown key"])
        #expect(problems("{ header: x-user-group, exact: internal, bake: 30m }").isEmpty)
    }

    @Test func gatewayAPIRolloutsNameAnHTTPRouteAndServices() throws {
        let config = try ConfigLoader.parse(
            """
            kubernetes: { mode: kubeconfig, kubeconfig: /etc/kube/config, context: prod, resyncEvery: 1m }
            rollouts:
              - name: ranker
                namespace: ml
                router: gateway-api
                httpRoute: ranker-route
                rule: main
                stableService: ranker-v1
                canaryService: ranker-v2
            """)
        #expect(
            config.rollouts[0]
                == RolloutSpec(
                    name: "ranker", namespace: "ml", router: .gatewayAPI, object: "ranker-route", route: "main",
                    stable: "ranker-v1", canary: "ranker-v2", notify: ["console"]))
        #expect(config.kubernetes.kubeconfig == "/etc/kube/config")
        #expect(config.kubernetes.resyncEvery == .seconds(60))
    }

    @Test func keysOfTheOtherRouterAreNamed() {
        do {
            _ = try ConfigLoader.parse(
                """
                rollouts:
                  - { name: ranker, namespace: ml, router: gateway-api, httpRoute: r, stableService: a, canaryService: b, stableSubset: v1 }
                  - { name: tf, namespace: ml, virtualService: vs, stableSubset: v1, canarySubset: v2, rule: main }
                """)
            Issue.record("loaded")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "rollouts[0].stableSubset: belongs to router: istio, not gateway-api",
                    "rollouts[1].rule: belongs to router: gateway-api, not istio",
                ])
        }
    }

    @Test func notifiersTakeTheirURLFromAFileOrAVariableNeverInline() throws {
        let config = try ConfigLoader.parse(
            """
            server:
              actions:
                signingKeyFile: k
                previousKeyFiles: [old]
                linkTTL: 2h
                identityHeader: X-Forwarded-Email
                trustedProxy: { cidrs: [10.0.0.0/8, "fd00::/8"] }
            notifiers:
              - { name: team-slack, type: slack, urlFile: secrets/slack-url }
              - { name: oncall-feishu, type: feishu, urlEnv: FEISHU_URL, secretFile: secrets/feishu }
              - { name: console, type: log }
            \(Self.minimalRollout)
            """)
        #expect(
            config.notifiers == [
                NotifierSettings(name: "team-slack", kind: .slack, url: .file("secrets/slack-url")),
                NotifierSettings(name: "oncall-feishu", kind: .feishu, url: .environment("FEISHU_URL"), secretFile: "secrets/feishu"),
                NotifierSettings(name: "console", kind: .log),
            ])
        #expect(config.rollouts[0].notify == ["team-slack", "oncall-feishu", "console"])
        #expect(config.server.actions.previousKeyFiles == ["old"])
        #expect(config.server.actions.linkTTL == .seconds(7200))
        #expect(config.server.actions.identityHeader == "X-Forwarded-Email")
        #expect(config.server.actions.trustedProxy == .cidrs([CIDRBlock("10.0.0.0/8")!, CIDRBlock("fd00::/8")!]))
    }

    @Test func connectionTimeoutsHaveDefaultsAndMustBePositive() throws {
        let defaults = try ConfigLoader.parse(Self.minimalRollout)
        #expect(defaults.server.idleTimeout == .seconds(60))
        #expect(defaults.server.headTimeout == .seconds(10))
        #expect(defaults.server.bodyTimeout == .seconds(30))
        let set = try ConfigLoader.parse("server: { idleTimeout: 2m, headTimeout: 5s, bodyTimeout: 1m }\n" + Self.minimalRollout)
        #expect([set.server.idleTimeout, set.server.headTimeout, set.server.bodyTimeout] == [.seconds(120), .seconds(5), .seconds(60)])
        #expect(throws: ConfigProblems([ConfigProblem(path: "server.bodyTimeout", message: "must be longer than zero")])) {
            try ConfigLoader.parse("server: { bodyTimeout: 0s }\n" + Self.minimalRollout)
        }
    }

    @Test func anIdentityHeaderIsBelievedOnlyWithATrustedProxy() throws {
        func problems(_ actions: String) -> [String] {
            do {
                _ = try ConfigLoader.parse("server:\n  actions: \(actions)\n\(Self.minimalRollout)")
                return []
            } catch {
                return error.problems.map(\.description)
            }
        }
        #expect(
            problems("{ identityHeader: X-Forwarded-Email }") == [
                "server.actions.trustedProxy: required with identityHeader, which any client can send: { secretHeader,"
                    + " secretFile } (the proxy adds a shared secret) or { cidrs: [...] } (the proxies' addresses)"
            ])
        #expect(
            problems("{ identityHeader: X-Forwarded-Email, trustedProxy: { secretHeader: X-Proxy-Secret, secretFile: s, cidrs: [10.0.0.0/8] } }")
                == ["server.actions.trustedProxy: set exactly one of { secretHeader, secretFile } and { cidrs }"])
        #expect(
            problems("{ identityHeader: X-Forwarded-Email, trustedProxy: { cidrs: [10.0.0.0/8, 10.0.0.0/33] } }")
                == ["server.actions.trustedProxy.cidrs[1]: '10.0.0.0/33' is not an address block such as 10.0.0.0/8 or fd00::/8"])
        #expect(
            problems("{ identityHeader: X-Forwarded-Email, trustedProxy: { secretHeader: \"X Proxy\", secretFile: s } }")
                == ["server.actions.trustedProxy.secretHeader: 'X Proxy' is not an HTTP header name"])
        #expect(problems("{ identityHeader: X-Forwarded-Email, trustedProxy: { secretHeader: X-Proxy-Secret } }").count == 1)
        let config = try ConfigLoader.parse(
            "server:\n  actions: { identityHeader: X-Forwarded-Email, trustedProxy: { secretHeader: X-Proxy-Secret, secretFile: s } }\n"
                + Self.minimalRollout)
        #expect(config.server.actions.trustedProxy == .secretHeader(header: "X-Proxy-Secret", secretFile: "s"))
    }

    @Test func thePostgreSQLStoreIsReadFromAURLWithoutAPassword() throws {
        func problems(_ store: String) -> [String] {
            do {
                _ = try ConfigLoader.parse("store: \(store)\n\(Self.minimalRollout)")
                return []
            } catch {
                return error.problems.map(\.description)
            }
        }
        let config = try ConfigLoader.parse(
            """
            store:
              postgres:
                url: "postgres://coalmine@db.internal:6432/journal?sslmode=verify-full"
                passwordFile: /etc/coalmine/pg-password
                caFile: /etc/coalmine/pg-ca.pem
                pool: 4
            """ + "\n" + Self.minimalRollout)
        #expect(
            config.store.postgres
                == PostgresStoreSettings(
                    host: "db.internal", port: 6432, user: "coalmine", database: "journal", sslMode: .verifyFull,
                    passwordFile: "/etc/coalmine/pg-password", caFile: "/etc/coalmine/pg-ca.pem", pool: 4))
        #expect(config.store.location == "postgres://coalmine@db.internal:6432/journal")
        let plain = try ConfigLoader.parse("store: { postgres: { url: \"postgresql://c@[::1]/j\" } }\n" + Self.minimalRollout)
        #expect(plain.store.postgres?.host == "::1")
        #expect(plain.store.postgres?.port == 5432)
        #expect(plain.store.postgres?.sslMode == .verifyFull, "the safe mode unless another is asked for")
        #expect(plain.store.postgres?.pool == 8)
        #expect(try ConfigLoader.parse(Self.minimalRollout).store.postgres == nil, "SQLite by default")

        #expect(
            problems("{ postgres: { url: \"postgres://coalmine:hunter2@db/journal\" } }")
                == ["store.postgres.url: carries a password: put it in store.postgres.passwordFile, not in the URL"])
        #expect(
            problems("{ sqlite: { path: a.db }, postgres: { url: \"postgres://c@db/j\" } }")
                == ["store.postgres: set either store.sqlite or store.postgres, not both"])
        #expect(problems("{ postgres: { passwordFile: p } }") == [
            "store.postgres.url: is required: postgres://user@host:5432/database?sslmode=verify-full"
        ])
        #expect(
            problems("{ postgres: { url: \"postgres://c@db/j?sslmode=prefer\" } }")
                == ["store.postgres.url: sslmode must be one of disable, require, verify-full, found 'prefer'"])
        #expect(
            problems("{ postgres: { url: \"postgres://c@db/j?sslmode=require\", caFile: ca.pem } }")
                == ["store.postgres.caFile: is read only with sslmode=verify-full, not require"])
        #expect(
            problems("{ postgres: { url: \"postgres://c@db/j?application_name=x\" } }")
                == ["store.postgres.url: has an option Coalmine does not read: 'application_name' (only sslmode)"])
        #expect(problems("{ postgres: { url: \"postgres://db/j\" } }") == ["store.postgres.url: names no user: write postgres://USER@host/…"])
        #expect(problems("{ postgres: { url: \"postgres://c@db:99999/j\" } }") == ["store.postgres.url: has a port that is not a number from 1 to 65535"])
        #expect(problems("{ postgres: { url: \"postgres://c@db\" } }") == ["store.postgres.url: names no database: add /DATABASE after the host"])
        #expect(problems("{ postgres: { url: \"mysql://c@db/j\" } }").count == 1)
        #expect(problems("{ postgres: { url: \"postgres://c@db/j\", pool: 0 } }") == ["store.postgres.pool: must be at least 1"])
    }

    @Test func replicaKeysApplyOnlyWithAPostgreSQLJournal() throws {
        let postgres = "store: { postgres: { url: \"postgres://c@db/j\" } }\n"
        let defaults = try ConfigLoader.parse(postgres + Self.minimalRollout)
        #expect(defaults.server.replicaId == nil, "the host name, read at start")
        #expect(defaults.server.advertiseURL == nil)
        #expect(defaults.server.leaderLease == .seconds(15))
        let set = try ConfigLoader.parse(
            "server: { replicaId: coalmine-0, advertiseURL: \"http://coalmine-0.coalmine:9095/\", leaderLease: 20s }\n" + postgres
                + Self.minimalRollout)
        #expect(set.server.replicaId == "coalmine-0")
        #expect(set.server.advertiseURL == "http://coalmine-0.coalmine:9095")
        #expect(set.server.leaderLease == .seconds(20))
        #expect(
            throws: ConfigProblems([
                ConfigProblem(path: "server.replicaId", message: "applies only with store.postgres (several replicas)"),
                ConfigProblem(path: "server.advertiseURL", message: "applies only with store.postgres (several replicas)"),
            ])
        ) {
            try ConfigLoader.parse("server: { replicaId: a, advertiseURL: \"http://a:9095\" }\n" + Self.minimalRollout)
        }
        #expect(throws: ConfigProblems([ConfigProblem(path: "server.leaderLease", message: "must be at least 3s")])) {
            try ConfigLoader.parse("server: { leaderLease: 1s }\n" + postgres + Self.minimalRollout)
        }
        #expect(
            throws: ConfigProblems([
                ConfigProblem(path: "server.advertiseURL", message: "must start with http:// or https://, found 'coalmine-0:9095'")
            ])
        ) {
            try ConfigLoader.parse("server: { advertiseURL: \"coalmine-0:9095\" }\n" + postgres + Self.minimalRollout)
        }
    }

    @Test func onlyALogNotifierTakesShowLinksAndItIsOffUnlessSet() throws {
        let config = try ConfigLoader.parse(
            """
            notifiers:
              - { name: console, type: log }
              - { name: local, type: log, showLinks: true }
            \(Self.minimalRollout)
            """)
        #expect(config.notifiers.map(\.showLinks) == [false, true])
        #expect(try ConfigLoader.load(path: "\(Self.repositoryRoot)/config/coalmine.yaml").notifiers.map(\.showLinks) == [true])
        #expect(throws: ConfigProblems([
            ConfigProblem(path: "notifiers[0].showLinks", message: "only a log notifier takes showLinks; chat messages always carry their links"),
            ConfigProblem(path: "notifiers[1].showLinks", message: "expected true or false, found a string"),
        ])) {
            try ConfigLoader.parse(
                """
                notifiers:
                  - { name: team, type: slack, urlFile: f, showLinks: true }
                  - { name: console, type: log, showLinks: "yes" }
                \(Self.minimalRollout)
                """)
        }
    }

    @Test func notifierMistakesAreNamed() {
        let text = """
            notifiers:
              - { name: a, type: slack, url: "https://hooks.slack.com/services/T/B/X" }
              - { name: b, type: teams, urlFile: f }
              - { name: c, type: discord, urlFile: f, urlEnv: V }
              - { name: d, type: wecom, urlFile: f, secretFile: s }
              - { name: e, type: log, urlFile: f }
            \(Self.minimalRollout)
            """
        do {
            _ = try ConfigLoader.parse(text)
            Issue.record("a config with problems loaded")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "notifiers[0].url: unknown key",
                    "notifiers[0]: a slack notifier needs urlFile or urlEnv (the webhook URL is a secret: never inline)",
                    "notifiers[1].type: unknown notifier type 'teams'; one of: log, slack, msteams, feishu, lark, dingtalk, wecom, discord, googlechat, webhook",
                    "notifiers[2]: set either urlFile or urlEnv, not both",
                    "notifiers[3].secretFile: wecom messages are not signed; only feishu, lark, dingtalk and webhook take a secret",
                    "notifiers[4]: a log notifier takes no urlFile or urlEnv",
                ])
        }
    }

    @Test func notifiersHaveADeadlineAndAGiveUpTimeOfTheirOwn() throws {
        let config = try ConfigLoader.parse(
            """
            notifiers:
              - { name: fast, type: slack, urlEnv: SLACK_URL, timeout: 2s, giveUpAfter: 2h }
              - { name: plain, type: log }
            \(Self.minimalRollout)
            """)
        #expect(config.notifiers.map(\.timeout) == [.seconds(2), .seconds(10)])
        #expect(config.notifiers.map(\.giveUpAfter) == [.seconds(7200), .seconds(24 * 3600)])
        #expect(config.secretVariables == ["SLACK_URL"], "withheld from exec credential plugins")
        do {
            _ = try ConfigLoader.parse(
                """
                notifiers:
                  - { name: a, type: log, timeout: soon, giveUpAfter: 0s }
                \(Self.minimalRollout)
                """)
            Issue.record("a config with problems loaded")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "notifiers[0].timeout: expected a duration such as 30s, 5m, 24h or 2d, found 'soon'",
                    "notifiers[0].giveUpAfter: must be longer than zero",
                ])
        }
    }

    @Test func alertLimitsHaveDefaultsAndRefuseUselessValues() throws {
        #expect(try ConfigLoader.parse(Self.minimalRollout).limits == AlertLimits())
        let custom = try ConfigLoader.parse("limits: { valueBytes: 1024, labelsPerAlert: 16 }\n\(Self.minimalRollout)")
        #expect(custom.limits.valueBytes == 1024 && custom.limits.labelsPerAlert == 16)
        do {
            _ = try ConfigLoader.parse("limits: { valueBytes: 10, labelsPerAlert: 0, firing: 3 }\n\(Self.minimalRollout)")
            Issue.record("a config with problems loaded")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "limits.valueBytes: must be at least 64 bytes", "limits.labelsPerAlert: must be at least 1",
                    "limits.firing: unknown key",
                ])
        }
    }

    @Test func aConfigWithoutRolloutsIsRefused() {
        #expect(throws: ConfigProblems([ConfigProblem(path: "rollouts", message: "is required: list at least one rollout")])) {
            try ConfigLoader.parse("server: { listen: \"127.0.0.1:9095\" }")
        }
    }

    @Test func anchorsAndAliasesAreRefusedNamingTheLineEvenANestedAliasBomb() throws {
        // 477 bytes that stand for 9^9 values once every alias is followed.
        var bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (name, previous) in zip(["b", "c", "d", "e", "f", "g", "h", "i"], ["a", "b", "c", "d", "e", "f", "g", "h"]) {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        let started = ContinuousClock.now
        #expect(throws: ConfigProblems([
            ConfigProblem(path: "", message: "line 1: YAML anchors and aliases (&a) are not accepted in a config file; write each value out")
        ])) { try ConfigLoader.parse(bomb) }
        #expect(ContinuousClock.now - started < .seconds(1))

        #expect(throws: ConfigProblems([
            ConfigProblem(path: "", message: "line 3: YAML anchors and aliases (&common) are not accepted in a config file; write each value out")
        ])) {
            try ConfigLoader.parse(
                """
                rollouts:
                  - name: a
                    alerts: &common { matchLabels: { team: ml } }
                    namespace: ml
                  - { name: b, alerts: *common }
                """)
        }
    }

    @Test func yamlSyntaxErrorsAreReportedNotCrashedOn() {
        do {
            _ = try ConfigLoader.parse("rollouts: [ { name: x ")
            Issue.record("broken YAML loaded")
        } catch {
            #expect(error.problems.first?.message.hasPrefix("not valid YAML") == true)
        }
    }
}
