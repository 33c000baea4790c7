/// What an installer image holds now (`kiln iso show`).
public struct InstallerContents: Sendable {
    /// The embedded `config.ign`, nil when the area is empty.
    public var ignition: [UInt8]?
    /// Every file of the embedded initrd, by path.
    public var initrdFiles: [String]
    public var kernelArguments: String?
    public var defaultKernelArguments: String?
}
