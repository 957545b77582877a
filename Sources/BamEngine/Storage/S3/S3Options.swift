/// Tuning of an `S3Backend`; the defaults suit AWS and local servers alike.
public struct S3Options: Equatable, Sendable {
    /// The signing region; nil takes it from an AWS host name, else us-east-1.
    public var region: String?
    /// Size of multipart parts (at least 5 MiB; grown when a file would need
    /// more than 10,000 parts).
    public var partSize: Int64
    /// Files of this size or more are sent as multipart uploads.
    public var multipartThreshold: Int64
    /// Parts of one upload sent at the same time.
    public var partConcurrency: Int
    /// `max-keys` of each ListObjectsV2 page (the server may send fewer).
    public var listPageSize: Int
    /// Tries per request, the first included, on 5xx, SlowDown, resets and timeouts.
    public var maxAttempts: Int
    /// Backoff before retry n is about `retryBaseDelay * 2^(n-1)` seconds,
    /// jittered down to half, at most `retryMaxDelay`.
    public var retryBaseDelay: Double
    public var retryMaxDelay: Double
    public var connectTimeoutSeconds: Int
    /// A transfer that moves no data for this long is abandoned (and retried).
    public var stallTimeoutSeconds: Int
    /// HEAD each object after storing it and compare its size.
    public var verifyUploads: Bool
    /// A PEM file of CA certificates that replaces the system store for
    /// `s3://` (https); nil trusts the system store.
    public var caFile: String?

    public static let minimumPartSize: Int64 = 5 << 20
    public static let maximumParts: Int64 = 10_000

    public init(
        region: String? = nil, partSize: Int64 = 8 << 20, multipartThreshold: Int64 = 16 << 20,
        partConcurrency: Int = 4, listPageSize: Int = 1000, maxAttempts: Int = 6,
        retryBaseDelay: Double = 0.25, retryMaxDelay: Double = 15, connectTimeoutSeconds: Int = 15,
        stallTimeoutSeconds: Int = 60, verifyUploads: Bool = true
    ) {
        self.region = region
        self.partSize = partSize
        self.multipartThreshold = multipartThreshold
        self.partConcurrency = partConcurrency
        self.listPageSize = listPageSize
        self.maxAttempts = maxAttempts
        self.retryBaseDelay = retryBaseDelay
        self.retryMaxDelay = retryMaxDelay
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.stallTimeoutSeconds = stallTimeoutSeconds
        self.verifyUploads = verifyUploads
    }
}
