import CoalmineFuzzTargets
import Foundation
import Testing

/// Every input the fuzz targets start from, and every input that once crashed one (Fuzz/regressions), runs through
/// its target on each test run: a reader that regresses crashes here, not first in production.
@Suite struct FuzzCorpusTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(of target: String) throws -> [URL] {
        try ["corpus", "regressions"].flatMap { folder in
            let directory = fuzzFolder.appendingPathComponent(folder).appendingPathComponent(target)
            guard FileManager.default.fileExists(atPath: directory.path) else { return [URL]() }
            return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { !$0.lastPathComponent.hasPrefix(".") }
        }
    }

    @Test func everyTargetHasSeeds() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.fuzzFolder.appendingPathComponent("corpus").path)
        #expect(Set(folders) == Set(FuzzTarget.all.map(\.name)), "one seed folder per target, named as scripts/fuzz.sh runs it")
        for target in FuzzTarget.all {
            #expect(try !Self.inputs(of: target.name).isEmpty, "\(target.name) has seeds")
        }
    }

    @Test(arguments: FuzzTarget.all.map(\.name)) func everySeedAndRegressionRunsCleanly(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        for input in try Self.inputs(of: name) {
            let bytes = try Data(contentsOf: input)
            bytes.withUnsafeBytes { target.run($0) }
        }
    }
}
