import ArgumentParser
import BamEngine

/// Lets `--key-format v1|v2` parse straight into the engine's format.
extension KeyPacket.Format: ExpressibleByArgument {}
