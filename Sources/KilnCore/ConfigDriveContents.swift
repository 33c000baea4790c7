/// What goes on one machine's config drive.
public struct ConfigDriveContents: Sendable, Equatable {
    public var userData: [UInt8]
    /// OpenStack's `uuid`, NoCloud's `instance-id`: cloud-init runs its
    /// first-boot modules again when it changes.
    public var instanceID: String
    public var hostname: String?
    /// OpenStack's `name` (the instance's display name).
    public var name: String?
    /// Key name and key, in order.
    public var publicKeys: [PublicKey]
    /// OpenStack `network_data.json`, or NoCloud `network-config`.
    public var networkData: [UInt8]?
    /// NoCloud `vendor-data` (OpenStack drives have no place for it here).
    public var vendorData: [UInt8]?

    public struct PublicKey: Sendable, Equatable {
        public var name: String
        public var key: String

        public init(name: String, key: String) {
            self.name = name
            self.key = key
        }
    }

    public init(userData: [UInt8], instanceID: String, hostname: String? = nil, name: String? = nil,
                publicKeys: [PublicKey] = [], networkData: [UInt8]? = nil, vendorData: [UInt8]? = nil) {
        self.userData = userData
        self.instanceID = instanceID
        self.hostname = hostname
        self.name = name
        self.publicKeys = publicKeys
        self.networkData = networkData
        self.vendorData = vendorData
    }
}
