import CoalmineTestSupport
import Foundation

// The Kubernetes API double on 127.0.0.1 for the benchmarks: serves the VirtualServices of the benchmark's
// rollouts (`tf-model-route`, then `route-1` … `route-<N-1>` in namespace ml, subsets v1 and v2) to the token
// `bench-token`, prints `LISTENING <url>` once it serves, then one line per request as its head arrives (decoded,
// before it is routed and served): `<method> <path> <seconds since the epoch>`. Runs until killed.
//
// Usage: KubernetesAPIDoubleServer [ROLLOUTS]

let rollouts = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1
let double = KubernetesAPIDouble(tokens: ["bench-token"])
for index in 0..<rollouts {
    let (name, host) = index == 0 ? ("tf-model-route", "tf-model-service") : ("route-\(index)", "svc-\(index)")
    try double.put(
        "virtualservices", namespace: "ml", name: name,
        json: """
            {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
             "metadata": {"name": "\(name)", "namespace": "ml"},
             "spec": {"hosts": ["\(host)"], "http": [{"name": "primary", "route": [
               {"destination": {"host": "\(host)", "subset": "v1"}, "weight": 100},
               {"destination": {"host": "\(host)", "subset": "v2"}, "weight": 0}]}]}}
            """)
}
/// One line, written at once: the benchmark reads them as they come.
@Sendable func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
double.onRequestArrival { method, path in
    say("\(method) \(path) \(String(format: "%.6f", Date().timeIntervalSince1970))")
}
try await double.run { url in
    say("LISTENING \(url)")
    while true { try await Task.sleep(for: .seconds(3600)) }
}
