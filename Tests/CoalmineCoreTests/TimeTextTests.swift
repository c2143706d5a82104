import CoalmineCore
import Testing

@Suite struct TimeTextTests {
    @Test(arguments: [
        ("2024-01-01T10:00:00Z", Int64(1_704_103_200_000)),
        ("2024-01-01T10:00:00+08:00", 1_704_074_400_000),
        ("2024-01-01T10:00:00-05:30", 1_704_123_000_000),
        ("2024-03-05T14:22:19.123456789Z", 1_709_648_539_123),
        ("2024-03-05T14:22:36.927Z", 1_709_648_556_927),
        ("2024-03-05T14:22:36.9Z", 1_709_648_556_900),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("1970-01-01T00:00:00Z", 0),
    ])
    func goRFC3339NanoFormsParse(text: String, milliseconds: Int64) {
        #expect(Timestamp(rfc3339: text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test func goZeroTimeIsBeforeTheEpochAndMeansNoEnd() throws {
        let zero = try #require(Timestamp(rfc3339: "0001-01-01T00:00:00Z"))
        #expect(zero.millisecondsSinceEpoch == -62_135_596_800_000)
        #expect(zero.rfc3339 == "0001-01-01T00:00:00.000Z", "the zero time is placed on its own day, not days off")
        #expect(Timestamp(rfc3339: "0000-01-01T00:00:00Z")?.rfc3339 == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999Z")?.rfc3339 == "9999-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        "", "2024-01-01", "2024-01-01T10:00:00", "2024-13-01T10:00:00Z", "2023-02-29T00:00:00Z",
        "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00.1234567890Z", "2024-01-01T10:00:00+0800",
        "2024-01-01T25:00:00Z", "2024-01-01T10:00:00Zjunk",
        // In UTC these fall outside years 0000–9999, where no RFC 3339 text can name them (a fuzzer's find).
        "0000-01-01T00:00:00+08:00", "9999-12-31T23:59:59-00:01",
    ])
    func malformedTimesAreRejected(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func formattingRoundTrips() {
        for milliseconds: Int64 in [0, 1, 999, 1_709_648_556_927, 4_102_444_799_999, -1] {
            let time = Timestamp(millisecondsSinceEpoch: milliseconds)
            #expect(Timestamp(rfc3339: time.rfc3339) == time)
        }
        #expect(Timestamp(millisecondsSinceEpoch: 1_709_648_556_927).rfc3339 == "2024-03-05T14:22:36.927Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_704_103_200_005).rfc3339 == "2024-01-01T10:00:00.005Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: 253_402_300_800_000).rfc3339 == "10000-01-01T00:00:00.000Z")
    }

    @Test(arguments: [
        ("30s", Duration.seconds(30), "30s"), ("5m", .seconds(300), "5m"), ("24h", .seconds(86_400), "1d"),
        ("2d", .seconds(172_800), "2d"), ("1h30m", .seconds(5400), "1h30m"), ("500ms", .milliseconds(500), "500ms"),
        ("90m", .seconds(5400), "1h30m"),
    ])
    func durationsParseAndFormatShortest(text: String, duration: Duration, shortest: String) {
        #expect(DurationText.parse(text) == duration)
        #expect(DurationText.format(duration) == shortest)
    }

    /// The last two are past Int64 milliseconds (the fuzzer's first find: a crash, not a nil).
    @Test(arguments: ["", "5", "m", "5 m", "1.5h", "5w", "-5m", "5mm", "999999999999d", "999999999999h" + String(repeating: "999999999999h", count: 12)])
    func malformedDurationsAreRejected(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
