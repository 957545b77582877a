import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A certificate authority made for one test run (python3-cryptography),
/// and server certificates it signed for 127.0.0.1 and localhost: a good
/// one, one that expired a month ago, one for another host name, and one
/// from a second CA nobody trusts. Keys are mode 0600.
public final class TestCA: @unchecked Sendable {
    /// The directory holding `ca.pem` and `NAME.pem`/`NAME.key` per kind.
    public let directory: String

    public enum Certificate: String, CaseIterable, Sendable {
        case good, expired, wrongName = "wrongname", unknownCA = "unknown"
    }

    /// Made once per test process: every TLS test trusts the same CA.
    public static let shared = Result { try TestCA() }

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "bam-test-ca-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestServerError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, directory]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError(
                description: "making the test CA failed (python3 with the cryptography module is needed: apt-get install python3-cryptography): \(output)")
        }
    }

    public var caFile: String { directory + "/ca.pem" }
    public func certFile(_ c: Certificate) -> String { directory + "/\(c.rawValue).pem" }
    public func keyFile(_ c: Certificate) -> String { directory + "/\(c.rawValue).key" }

    static let script = #"""
        import datetime, ipaddress, sys, os
        from cryptography import x509
        from cryptography.x509.oid import NameOID
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        out = sys.argv[1]
        now = datetime.datetime.now(datetime.timezone.utc)
        def key(): return ec.generate_private_key(ec.SECP256R1())
        def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        def write(fn, data):
            fd = os.open(os.path.join(out, fn), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, data); os.close(fd)
        def pem_key(k): return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        def pem(c): return c.public_bytes(serialization.Encoding.PEM)
        def ca(cn):
            k = key()
            c = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(k.public_key())
                 .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                 .not_valid_after(now + datetime.timedelta(days=30))
                 .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                 .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                 .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
                 .sign(k, hashes.SHA256()))
            return k, c
        def leaf(prefix, ca_key, ca_cert, sans, start, end):
            k = key()
            c = (x509.CertificateBuilder().subject_name(name(prefix)).issuer_name(ca_cert.subject).public_key(k.public_key())
                 .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
                 .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                 .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                 .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                 .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                 .sign(ca_key, hashes.SHA256()))
            write(prefix + ".key", pem_key(k)); write(prefix + ".pem", pem(c))
        good_sans = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        ca_key, ca_cert = ca("bam test CA")
        write("ca.pem", pem(ca_cert))
        leaf("good", ca_key, ca_cert, good_sans, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
        leaf("expired", ca_key, ca_cert, good_sans, now - datetime.timedelta(days=60), now - datetime.timedelta(days=30))
        leaf("wrongname", ca_key, ca_cert, [x509.DNSName("other.invalid")], now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
        other_key, other_cert = ca("bam other CA")
        leaf("unknown", other_key, other_cert, good_sans, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
        """#
}
