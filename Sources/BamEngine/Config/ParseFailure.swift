/// A configuration line that could not be parsed: the message, without
/// the file and line, which the caller adds.
struct ParseFailure: Error, Equatable {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
