import CoalmineCore
import CoalmineKubernetes

/// Seeded draws of JSON values, with strings full of what JSON must escape and numbers of every shape the parser
/// tells apart: the same seed, the same values.
struct RandomJSON {
    var seed: UInt64

    mutating func next(_ bound: Int) -> Int {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Int((seed >> 33) % UInt64(bound))
    }

    mutating func text() -> String {
        let pieces = ["spec", "Z", " ", "/", "~", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}",
            "é", "日本", "😀", "\u{7F}", "\u{2028}", ""]
        return (0..<next(5)).map { _ in pieces[next(pieces.count)] }.joined()
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        switch next(depth > 2 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(next(2) == 0)
        case 2: return .int(Int64(next(2_000_001)) - 1_000_000)
        case 3: return .double([0.5, -2.25, 1e-7, 1.5e300, 123.456, Double(next(1_000_000)) / 1000 + 0.0005][next(6)])
        case 4, 5: return .string(text())
        case 6: return .array((0..<next(4)).map { _ in value(depth: depth + 1) })
        default:
            let fields = (0..<next(4)).map { _ in (text(), value(depth: depth + 1)) }
            return .object(Dictionary(fields, uniquingKeysWith: { first, _ in first }))
        }
    }
}
