import ArgumentParser
import BamEngine
import Deflate

/// `--compression fast|best`.
extension VolumeCompression: ExpressibleByArgument {}
