import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Installs and purges packages with apt inside a system root: directly
/// when the root is `/`, through chroot otherwise; always
/// noninteractive, keeping existing configuration files. While it runs in
/// a chroot it lends the root the host's resolv.conf (when it has none)
/// and a policy-rc.d that keeps services from starting, and takes both
/// away afterwards.
public struct PackageInstaller {
    /// Packages never installed by a restore: a kernel or VM tools belong
    /// to the machine, not to the appliance.
    public static let blacklist = ["linux-*", "vmware-tools*"]

    public var root: String
    public var progress: ProgressReporter

    public init(root: String, progress: ProgressReporter) {
        self.root = root
        self.progress = progress
    }

    var inChroot: Bool { root != "/" && !root.isEmpty }

    public struct Plan: Equatable {
        /// Backup packages already installed: nothing to do.
        public var alreadyInstalled: [String]
        /// Skipped because of the blacklist.
        public var blacklisted: [String]
        /// What to ask apt for (before the unknown ones are dropped).
        public var toInstall: [String]
    }

    /// What a restore of `packages` would do on this root, without apt.
    public func plan(_ packages: [String]) throws -> Plan {
        let installed = Set(try ProfileCreator.installedPackages(root: root))
        var plan = Plan(alreadyInstalled: [], blacklisted: [], toInstall: [])
        for name in Set(packages).sorted() {
            if installed.contains(name) {
                plan.alreadyInstalled.append(name)
            } else if Self.isBlacklisted(name) {
                plan.blacklisted.append(name)
            } else {
                plan.toInstall.append(name)
            }
        }
        return plan
    }

    /// Debian policy 5.6.1: lower-case letters, digits, '+', '-' and '.',
    /// at least two, starting with a letter or digit; dpkg may add an
    /// architecture qualifier (`:amd64`). Names reach apt's argv, so
    /// `Profile.parsePackages` refuses every other line.
    public static func isPackageName(_ name: String) -> Bool {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let package = parts.first, package.count >= 2, package.count <= 200,
            let first = package.first, first.isASCII && (first.isLowercase || first.isNumber),
            package.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "+-.".contains($0)) })
        else { return false }
        guard parts.count == 2 else { return true }
        let arch = parts[1]
        return !arch.isEmpty && arch.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    public static func isBlacklisted(_ name: String) -> Bool {
        blacklist.contains { pattern in
            pattern.hasSuffix("*") ? name.hasPrefix(String(pattern.dropLast())) : name == pattern
        }
    }

    public struct Outcome: Equatable {
        /// Everything that became installed, dependencies included.
        public var installed: [String]
        public var unknown: [String]
        public var blacklisted: [String]
        public var failed: Bool
    }

    /// Installs what `plan` lists; apt-get update first; unknown names
    /// are dropped with a warning; an apt failure is a warning, not an
    /// error (the files and users are still worth restoring).
    public func install(_ packages: [String]) throws -> Outcome {
        let plan = try plan(packages)
        for name in plan.blacklisted { progress.report(.warning("package \(name) is blacklisted for restores; not installed")) }
        var outcome = Outcome(installed: [], unknown: [], blacklisted: plan.blacklisted, failed: false)
        guard !plan.toInstall.isEmpty else { return outcome }
        let before = Set(try ProfileCreator.installedPackages(root: root))
        try withChrootSupport {
            progress.report(.phase("apt-get update"))
            let update = try ProcessRunner.run(apt("apt-get", ["update"]), environment: Self.environment)
            if update.status != 0 {
                progress.report(.warning("apt-get update failed; installing from the lists there are: " + ProcessRunner.failureMessage(update)))
            }
            let known = try knownPackages(plan.toInstall)
            outcome.unknown = plan.toInstall.filter { !known.contains($0) }
            for name in outcome.unknown { progress.report(.warning("package \(name) is unknown to apt here; not installed")) }
            let wanted = plan.toInstall.filter { known.contains($0) }
            guard !wanted.isEmpty else { return }
            progress.report(.phase("installing \(wanted.count) package(s)"))
            let result = try ProcessRunner.run(
                apt(
                    "apt-get",
                    [
                        "install", "-y", "-q",
                        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
                    ] + wanted),
                environment: Self.environment)
            if result.status != 0 {
                outcome.failed = true
                progress.report(.warning("package installation failed: " + ProcessRunner.failureMessage(result)))
            }
        }
        let after = Set(try ProfileCreator.installedPackages(root: root))
        outcome.installed = after.subtracting(before).sorted()
        return outcome
    }

    /// Purges `packages` (a rollback); a failure is a warning.
    public func purge(_ packages: [String]) throws {
        let installed = Set(try ProfileCreator.installedPackages(root: root))
        let present = packages.filter { installed.contains($0) }
        guard !present.isEmpty else { return }
        try withChrootSupport(network: false) {
            progress.report(.phase("purging \(present.count) package(s)"))
            let result = try ProcessRunner.run(apt("apt-get", ["purge", "-y", "-q"] + present), environment: Self.environment)
            if result.status != 0 { progress.report(.warning("purging packages failed: " + ProcessRunner.failureMessage(result))) }
        }
    }

    static let environment = [
        "DEBIAN_FRONTEND": "noninteractive", "DEBCONF_NONINTERACTIVE_SEEN": "true",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
    ]

    func apt(_ tool: String, _ arguments: [String]) -> [String] {
        inChroot ? ["/usr/sbin/chroot", root, "/usr/bin/" + tool] + arguments : ["/usr/bin/" + tool] + arguments
    }

    /// The names apt has a candidate version for (`apt-cache policy`).
    func knownPackages(_ names: [String]) throws -> Set<String> {
        let outcome = try ProcessRunner.run(apt("apt-cache", ["policy"] + names), environment: Self.environment)
        var known = Set<String>()
        var current: String?
        for line in outcome.output.split(separator: "\n") {
            if !line.hasPrefix(" ") && line.hasSuffix(":") {
                current = String(line.dropLast())
            } else if let name = current, line.trimmingCharacters(in: .whitespaces).hasPrefix("Candidate:") {
                if !line.contains("(none)") { known.insert(name) }
                current = nil
            }
        }
        return known
    }

    /// Lends the chroot what apt needs, and afterwards removes it and puts
    /// back the times of the directories it went into, so a rollback can
    /// return the root to exactly how it was.
    private func withChrootSupport(network: Bool = true, _ body: () throws -> Void) throws {
        guard inChroot else { return try body() }
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        var lent: [String] = []
        var parents: [(String, stat)] = []
        // apt also leaves its temporary files' traces on /tmp's times.
        for dir in [base + "/etc", base + "/usr/sbin", base + "/tmp"] {
            var st = stat()
            if Glibc.lstat(dir, &st) == 0 { parents.append((dir, st)) }
        }
        defer {
            for path in lent { unlink(path) }
            for (dir, st) in parents {
                var times = [st.st_atim, st.st_mtim]
                _ = utimensat(AT_FDCWD, dir, &times, AT_SYMLINK_NOFOLLOW)
            }
        }
        let resolv = base + "/etc/resolv.conf"
        if network, !Posix.fileExists(resolv), Posix.fileExists("/etc/resolv.conf") {
            try Posix.writeFileAtomically(resolv, try Posix.readFile("/etc/resolv.conf"), mode: 0o644)
            lent.append(resolv)
        }
        let policy = base + "/usr/sbin/policy-rc.d"
        if !Posix.fileExists(policy), Posix.fileExists(base + "/usr/sbin") {
            try Posix.writeFileAtomically(policy, Array("#!/bin/sh\nexit 101\n".utf8), mode: 0o755)
            lent.append(policy)
        }
        try body()
    }
}
