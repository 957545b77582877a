import ArgumentParser
extension Bam { struct Internal: ParsableCommand { static let configuration = CommandConfiguration(shouldDisplay: false) } }
