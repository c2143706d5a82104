import CoalmineCore
import Foundation
import Yams

/// Reads `config/coalmine.yaml` (or the file named by `--config` / `COALMINE_CONFIG`) into a checked config.
public enum ConfigLoader {
    public static let defaultPath = "config/coalmine.yaml"

    /// The path to use: the explicit one, else `COALMINE_CONFIG`, else the default.
    public static func resolvePath(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        explicit ?? environment["COALMINE_CONFIG"] ?? defaultPath
    }

    public static func load(path: String) throws(ConfigProblems) -> CoalmineConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigProblems([ConfigProblem(path: "", message: "cannot read \(path): \(error.localizedDescription)")])
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws(ConfigProblems) -> CoalmineConfig {
        let document: ConfigValue
        do {
            // Nodes hold their anchors weakly, and the parser holds them: it stays alive until they are looked at.
            let parser = try Parser(yaml: text)
            guard let node = try parser.singleRoot() else {
                throw ConfigProblems([ConfigProblem(path: "", message: "the config file is empty")])
            }
            let anchorRefusal = withExtendedLifetime(parser) {
                firstAnchored(node).map { anchored in
                    let line = anchored.mark.map { "line \($0.line): " } ?? ""
                    return "\(line)YAML anchors and aliases (&\(anchored.anchor?.rawValue ?? "")) are not accepted in a"
                        + " config file; write each value out"
                }
            }
            if let anchorRefusal { throw ConfigProblems([ConfigProblem(path: "", message: anchorRefusal)]) }
            document = value(of: node)
        } catch let problems as ConfigProblems {
            throw problems
        } catch {
            throw ConfigProblems([ConfigProblem(path: "", message: "not valid YAML: \(error)")])
        }
        return try ConfigReader.read(document).get()
    }

    /// The first node, in document order, that declares an anchor. Aliases share the node they name, so a few
    /// hundred bytes of nested aliases stand for billions of values: the config refuses them all. Any alias comes
    /// after its anchor, so this walk stops before reaching one, and never visits a shared node twice.
    static func firstAnchored(_ node: Node) -> Node? {
        if node.anchor != nil { return node }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                if let found = firstAnchored(key) ?? firstAnchored(value) { return found }
            }
        case .sequence(let sequence):
            for item in sequence {
                if let found = firstAnchored(item) { return found }
            }
        case .scalar, .alias:
            break
        }
        return nil
    }

    static func value(of node: Node) -> ConfigValue {
        switch node {
        case .mapping(let mapping):
            return .map(mapping.map { ConfigEntry($0.key.string ?? "\($0.key)", value(of: $0.value)) })
        case .sequence(let sequence):
            return .list(sequence.map(value(of:)))
        case .alias(let alias):
            return .string("*\(alias.anchor)")
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(ConfigValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map(ConfigValue.int) ?? .string(scalar.string)
            case .float: return node.float.map(ConfigValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        }
    }
}
