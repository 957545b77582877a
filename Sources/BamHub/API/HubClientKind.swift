import BamEngine
import HTTPTypes

/// Who is calling the API, which decides the shape of the answers. The
/// original TKLBAM client builds its credential objects from every field of
/// the `credentials/` answer (`Credentials.from_dict(**kwargs)`), so an
/// extra field or an unknown type crashes it; bam announces itself with
/// `HubClient.bamClientHeader` and gets the fields only it reads.
public enum HubClientKind: Sendable, Equatable {
    /// The original client (and anything else that does not say it is bam).
    case original
    case bam

    static func of(_ headers: HTTPFields) -> HubClientKind {
        guard let name = HTTPField.Name(HubClient.bamClientHeader.name) else { return .original }
        return headers[name] == HubClient.bamClientHeader.value ? .bam : .original
    }
}
