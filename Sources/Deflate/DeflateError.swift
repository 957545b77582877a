/// A failure of ISA-L's deflate or inflate, with the library's code.
public enum DeflateError: Error, CustomStringConvertible, Equatable {
    case badLevel(Int)
    case compression(code: Int32)
    case corrupt(String)

    public var description: String {
        switch self {
        case .badLevel(let level): return "compression level \(level) is out of range"
        case .compression(let code): return "compression failed (code \(code))"
        case .corrupt(let reason): return "compressed data is damaged: \(reason)"
        }
    }
}
