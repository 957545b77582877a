import ArgumentParser
extension Bam { struct Passphrase: ParsableCommand { static let configuration = CommandConfiguration(shouldDisplay: false) } }
