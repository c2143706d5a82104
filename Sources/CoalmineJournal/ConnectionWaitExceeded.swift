/// No pooled connection within the limit: the database is unreachable or every connection is busy.
struct ConnectionWaitExceeded: Error, CustomStringConvertible {
    var limit: Duration

    var description: String {
        "no connection to the database within \(limit.components.seconds) s (it is unreachable, or every connection is busy)"
    }
}
