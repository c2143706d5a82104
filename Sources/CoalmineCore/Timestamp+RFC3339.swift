extension Timestamp {
    /// Parses RFC 3339 as Go's `time.RFC3339Nano` writes it: 0 to 9 fractional digits, `Z` or a `±hh:mm` offset.
    ///
    /// Written by hand because Foundation's parsers reject some of these forms and misplace Go's zero time
    /// (`0001-01-01T00:00:00Z`) by days. Sub-millisecond digits are accepted and truncated.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        var cursor = 0

        func number(_ digits: Int) -> Int64? {
            guard cursor + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[cursor..<cursor + digits] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            cursor += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard cursor < bytes.count, characters.utf8.contains(bytes[cursor]) else { return false }
            cursor += 1
            return true
        }

        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }

        var milliseconds: Int64 = 0
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") {
            cursor += 1
            var digits = 0
            while cursor < bytes.count, bytes[cursor] >= 48, bytes[cursor] <= 57 {
                if digits < 3 { milliseconds = milliseconds * 10 + Int64(bytes[cursor] - 48) }
                digits += 1
                cursor += 1
            }
            guard (1...9).contains(digits) else { return nil }
            if digits < 3 { for _ in digits..<3 { milliseconds *= 10 } }
        }

        var offsetSeconds: Int64 = 0
        if expect("Zz") {
            offsetSeconds = 0
        } else if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[cursor] == UInt8(ascii: "-") ? -1 : 1
            cursor += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24,
                offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard cursor == bytes.count else { return nil }

        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        let instant = seconds * 1000 + milliseconds
        // An offset can move a time at either end of years 0000–9999 out of them in UTC, where RFC 3339 (and so
        // `rfc3339`) cannot write it: `0000-01-01T00:00:00+08:00` is in year -1.
        guard Self.rfc3339Range.contains(instant) else { return nil }
        self.init(millisecondsSinceEpoch: instant)
    }

    /// The instants RFC 3339 writes in UTC: 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z.
    static let rfc3339Range: ClosedRange<Int64> =
        CivilDate.daysSinceEpoch(year: 0, month: 1, day: 1) * 86_400_000
        ... CivilDate.daysSinceEpoch(year: 10_000, month: 1, day: 1) * 86_400_000 - 1

    /// UTC RFC 3339 with milliseconds, e.g. `2026-11-28T23:51:58.123Z`.
    public var rfc3339: String {
        let totalMilliseconds = millisecondsSinceEpoch
        let milliseconds = ((totalMilliseconds % 1000) + 1000) % 1000
        let totalSeconds = (totalMilliseconds - milliseconds) / 1000
        let secondOfDay = ((totalSeconds % 86_400) + 86_400) % 86_400
        let days = (totalSeconds - secondOfDay) / 86_400
        let (year, month, day) = CivilDate.civil(fromDaysSinceEpoch: days)
        // Digits written in place: every firing alert a storm stores carries one of these.
        if (0...9999).contains(year) {
            return String(unsafeUninitializedCapacity: 24) { text in
                var index = 0
                func put(_ value: Int64, _ width: Int) {
                    var rest = value
                    for position in stride(from: index + width - 1, through: index, by: -1) {
                        text[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    index += width
                }
                func put(_ character: Unicode.Scalar) {
                    text[index] = UInt8(ascii: character)
                    index += 1
                }
                put(year, 4); put("-"); put(month, 2); put("-"); put(day, 2); put("T")
                put(secondOfDay / 3600, 2); put(":"); put(secondOfDay / 60 % 60, 2); put(":"); put(secondOfDay % 60, 2)
                put("."); put(milliseconds, 3); put("Z")
                return index
            }
        }

        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(milliseconds, 3))Z"
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil algorithms).
enum CivilDate {
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDaysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
