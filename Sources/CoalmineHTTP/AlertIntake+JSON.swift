import CoalmineEngine
import NIOCore

extension AlertIntake {
    /// The webhook's answer, written directly: a `JSONEncoder` for three numbers cost as much as a tenth of
    /// what the rest of a delivery's answer did. The same text `APIResponse.json` writes (sorted keys).
    var jsonBody: ByteBuffer {
        ByteBuffer(string: #"{"matched":\#(matched),"received":\#(received),"transitions":\#(transitions)}"#)
    }
}
