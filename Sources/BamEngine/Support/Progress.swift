/// What long-running engine operations tell their caller. The engine never
/// prints: a front end turns these events into a terminal line, JSON or a
/// web page.
public enum ProgressEvent {
    /// A named phase began ("scanning", "uploading", "restoring").
    case phase(String)
    /// One source entry was handled; `bytes` of file data read or written.
    case item(path: String, bytes: Int64)
    /// A volume was finished and stored: its number and stored size.
    case volume(number: Int, bytes: Int64)
    /// Something the user should see that does not stop the run.
    case warning(String)
    /// The work the current phase goes on to do, where it is known up
    /// front (a restore: the volumes it applies; a whole-system backup:
    /// the bytes of the changed files), so that a front end can turn the
    /// items and volumes that follow into a percentage and a time left.
    /// It holds until the next phase.
    case expected(bytes: Int64?, volumes: Int?)
}

public protocol ProgressReporter: AnyObject {
    func report(_ event: ProgressEvent)
}

/// Drops every event: the default for callers that want no progress.
public final class SilentProgress: ProgressReporter {
    public init() {}
    public func report(_ event: ProgressEvent) {}
}
