import ArgumentParser
extension Bam { struct Escrow: ParsableCommand { static let configuration = CommandConfiguration(shouldDisplay: false) } }
