import CoalmineCore
import CoalmineKubernetes

/// RFC 6902 JSON Patch and RFC 7386 merge patch, applied the way the Kubernetes API server applies them to custom
/// resources: all operations or none, a failed `test` failing the whole patch.
enum JSONPatchApplier {
    struct Failure: Error {
        var message: String
    }

    static func apply(_ operations: [JSONPatchOperation], to document: JSONValue) throws(Failure) -> JSONValue {
        var result = document
        for operation in operations {
            guard let path = JSONPointer.tokens(operation.path) else { throw Failure(message: "invalid path \(operation.path)") }
            switch operation.op {
            case "add":
                result = try set(result, path, try required(operation.value, operation), inserting: true)
            case "replace":
                _ = try get(result, path)
                result = try set(result, path, try required(operation.value, operation), inserting: false)
            case "remove":
                result = try remove(result, path)
            case "test":
                let actual = try get(result, path)
                guard actual == operation.value else {
                    throw Failure(message: "testing value \(operation.path) failed")
                }
            case "move", "copy":
                guard let fromPointer = operation.from, let from = JSONPointer.tokens(fromPointer) else {
                    throw Failure(message: "\(operation.op) needs from")
                }
                let value = try get(result, from)
                if operation.op == "move" { result = try remove(result, from) }
                result = try set(result, path, value, inserting: true)
            default:
                throw Failure(message: "unknown operation \(operation.op)")
            }
        }
        return result
    }

    static func merge(_ patch: JSONValue, into document: JSONValue) -> JSONValue {
        guard case .object(let patchFields) = patch else { return patch }
        var fields: [String: JSONValue] = [:]
        if case .object(let existing) = document { fields = existing }
        for (key, value) in patchFields {
            if value == .null { fields[key] = nil } else { fields[key] = merge(value, into: fields[key] ?? .null) }
        }
        return .object(fields)
    }

    private static func required(_ value: JSONValue?, _ operation: JSONPatchOperation) throws(Failure) -> JSONValue {
        guard let value else { throw Failure(message: "\(operation.op) \(operation.path) has no value") }
        return value
    }

    static func get(_ document: JSONValue, _ path: [String]) throws(Failure) -> JSONValue {
        var current = document
        for token in path {
            switch current {
            case .object(let fields):
                guard let next = fields[token] else { throw Failure(message: "no field \(token)") }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else {
                    throw Failure(message: "no index \(token)")
                }
                current = items[index]
            default:
                throw Failure(message: "cannot descend into a scalar at \(token)")
            }
        }
        return current
    }

    private static func set(_ document: JSONValue, _ path: [String], _ value: JSONValue, inserting: Bool) throws(Failure)
        -> JSONValue
    {
        guard let token = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch document {
        case .object(var fields):
            if rest.isEmpty {
                fields[token] = value
            } else {
                guard let child = fields[token] else { throw Failure(message: "no field \(token)") }
                fields[token] = try set(child, rest, value, inserting: inserting)
            }
            return .object(fields)
        case .array(var items):
            if rest.isEmpty {
                if token == "-", inserting { items.append(value); return .array(items) }
                guard let index = Int(token), index >= 0, index <= items.count else {
                    throw Failure(message: "index \(token) out of range")
                }
                if inserting { items.insert(value, at: index) } else {
                    guard index < items.count else { throw Failure(message: "index \(token) out of range") }
                    items[index] = value
                }
            } else {
                guard let index = Int(token), items.indices.contains(index) else {
                    throw Failure(message: "no index \(token)")
                }
                items[index] = try set(items[index], rest, value, inserting: inserting)
            }
            return .array(items)
        default:
            throw Failure(message: "cannot descend into a scalar at \(token)")
        }
    }

    private static func remove(_ document: JSONValue, _ path: [String]) throws(Failure) -> JSONValue {
        guard let token = path.first else { throw Failure(message: "cannot remove the whole document") }
        let rest = Array(path.dropFirst())
        switch document {
        case .object(var fields):
            guard let child = fields[token] else { throw Failure(message: "no field \(token)") }
            fields[token] = rest.isEmpty ? nil : try remove(child, rest)
            return .object(fields)
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { throw Failure(message: "no index \(token)") }
            if rest.isEmpty { items.remove(at: index) } else { items[index] = try remove(items[index], rest) }
            return .array(items)
        default:
            throw Failure(message: "cannot descend into a scalar at \(token)")
        }
    }
}
