/// A finished volume before encryption: a plain tar in a temporary file and
/// the range of paths it holds.
struct PlainVolume {
    let number: Int
    let path: String
    let size: Int64
    let startPath: [UInt8]
    let startBlock: Int?
    let endPath: [UInt8]
    let endBlock: Int?
}
