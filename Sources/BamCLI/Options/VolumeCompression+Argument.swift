import ArgumentParser
import BamEngine
import Deflate

/// `--compression fast|balanced|best`.
extension VolumeCompression: ExpressibleByArgument {}
