import ArgumentParser
import CoalmineCore
import CoalmineEngine

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print the Prometheus rules that watch the configured rollouts (breaker, gates, ML gates).")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "prometheus (a rule file) or prometheusrule (a monitoring.coreos.com/v1 PrometheusRule).")
    var format: String = "prometheus"

    func run() async throws {
        guard let chosen = PrometheusRuleFile.Format(rawValue: format) else {
            throw ValidationError("--format must be prometheus or prometheusrule, not '\(format)'")
        }
        let config = try options.load(refusing: "cannot write rules")
        print(PrometheusRuleFile.render(PrometheusRules.groups(for: config), format: chosen, source: options.path), terminator: "")
    }
}
