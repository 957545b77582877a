/// Storage addresses as the original TKLBAM client's duplicity reads them.
/// That client runs Debian's duplicity (boto backend) with
/// `--s3-unencrypted-connection` for backup and restore, and duplicity
/// takes the host and port only from `s3://HOST[:PORT]/BUCKET/PREFIX`
/// (its `s3+http://` form has no host: `s3+http://BUCKET/PREFIX` goes to
/// AWS). So a plain-HTTP region's `s3+http://HOST:PORT/...` is handed to
/// original clients as `s3://HOST:PORT/...`; the Hub keeps bam's form in
/// its store and accepts either form back.
public enum OriginalClientAddress {
    /// The address an original client is given for `address` (bam's form).
    public static func form(of address: String) -> String {
        address.hasPrefix("s3+http://") ? "s3://" + address.dropFirst("s3+http://".count) : address
    }

    /// Whether `given` names the same place as `stored`, in either form.
    public static func matches(_ given: String, _ stored: String) -> Bool {
        given == stored || given == form(of: stored)
    }
}
