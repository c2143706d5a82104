import CoalmineCore
import CoalmineKubernetes
import Foundation

/// A VirtualService as teams write them: several routes, a mirror, retries, a fault, a timeout, headers, an
/// extra destination at weight 0, and annotations. Only the two weights of the `primary` route may ever change.
let richVirtualService = """
    {
      "apiVersion": "networking.istio.io/v1",
      "kind": "VirtualService",
      "metadata": {
        "name": "tf-model-route", "namespace": "ml",
        "annotations": {"owner": "ml-platform", "argocd.argoproj.io/tracking-id": "ml:networking.istio.io/VirtualService:ml/tf-model-route"},
        "labels": {"app": "tf-model-service"}
      },
      "spec": {
        "hosts": ["tf-model-service"],
        "gateways": ["mesh"],
        "http": [
          {
            "name": "admin",
            "match": [{"uri": {"prefix": "/admin"}}],
            "route": [{"destination": {"host": "tf-model-service", "subset": "v1"}}],
            "retries": {"attempts": 2, "perTryTimeout": "1s"}
          },
          {
            "name": "primary",
            "match": [{"uri": {"prefix": "/v1/models"}, "headers": {"x-team": {"exact": "ml"}}}],
            "route": [
              {"destination": {"host": "tf-model-service", "subset": "v1", "port": {"number": 8501}}, "weight": 100,
               "headers": {"response": {"add": {"x-served-by": "stable"}}}},
              {"destination": {"host": "tf-model-service", "subset": "v2", "port": {"number": 8501}}},
              {"destination": {"host": "tf-model-service", "subset": "v3-shadow"}, "weight": 0}
            ],
            "mirror": {"host": "tf-model-shadow", "subset": "v2"},
            "mirrorPercentage": {"value": 5.5},
            "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,reset"},
            "timeout": "10s",
            "fault": {"delay": {"percentage": {"value": 0.1}, "fixedDelay": "5s"}}
          }
        ]
      }
    }
    """

let httpRoute = """
    {
      "apiVersion": "gateway.networking.k8s.io/v1",
      "kind": "HTTPRoute",
      "metadata": {"name": "ranker-route", "namespace": "ml", "annotations": {"owner": "search"}},
      "spec": {
        "parentRefs": [{"name": "public-gateway", "namespace": "infra"}],
        "hostnames": ["ranker.example.com"],
        "rules": [
          {"name": "health", "matches": [{"path": {"type": "PathPrefix", "value": "/healthz"}}],
           "backendRefs": [{"name": "ranker-v1", "port": 8080}]},
          {"name": "main",
           "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
           "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [{"name": "x-canary", "value": "maybe"}]}}],
           "backendRefs": [
             {"name": "ranker-v1", "port": 8080, "weight": 1},
             {"name": "ranker-v2", "port": 8080, "weight": 0}
           ],
           "timeouts": {"request": "5s"}}
        ]
      }
    }
    """

let tfRollout = RolloutSpec(name: "tf-model-service", namespace: "ml", object: "tf-model-route", stable: "v1", canary: "v2")
let rankerRollout = RolloutSpec(
    name: "ranker", namespace: "ml", router: .gatewayAPI, object: "ranker-route", stable: "ranker-v1", canary: "ranker-v2")

/// The object with the weights of the given destinations and the resourceVersion blanked: what must stay
/// exactly as the user wrote it.
func everythingButWeights(_ object: JSONValue, entries: String, destinations: String, entry: Int, indices: [Int]) -> JSONValue {
    guard case .object(var root) = object, case .object(var metadata)? = root["metadata"],
        case .object(var spec)? = root["spec"], case .array(var list)? = spec[entries],
        case .object(var route) = list[entry], case .array(var targets)? = route[destinations]
    else { return object }
    metadata["resourceVersion"] = nil
    for index in indices {
        if case .object(var target) = targets[index] {
            target["weight"] = nil
            targets[index] = .object(target)
        }
    }
    route[destinations] = .array(targets)
    list[entry] = .object(route)
    spec[entries] = .array(list)
    root["spec"] = .object(spec)
    root["metadata"] = .object(metadata)
    return .object(root)
}

func decodeJSON(_ text: String) -> JSONValue {
    try! JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}
