import KilnCore

/// The two config-drive layouts cloud images read.
public enum ConfigDriveFormat: String, Sendable, CaseIterable {
    /// OpenStack's: read by Ignition's openstack provider, Flatcar's
    /// coreos-cloudinit and cloud-init's ConfigDrive datasource.
    case openStack = "config-2"
    /// cloud-init's NoCloud seed.
    case noCloud = "cidata"

    /// The volume label the readers look for.
    public var label: String { rawValue }

    public static let names = allCases.map(\.rawValue).joined(separator: " or ")
}

public enum ConfigDrive {
    /// The files of a drive, laid out as its readers expect.
    public static func files(_ format: ConfigDriveFormat, _ contents: ConfigDriveContents) -> [ISOFile] {
        switch format {
        case .openStack:
            var metadata: [String: JSONValue] = ["uuid": .string(contents.instanceID)]
            if let hostname = contents.hostname { metadata["hostname"] = .string(hostname) }
            if let name = contents.name ?? contents.hostname { metadata["name"] = .string(name) }
            if !contents.publicKeys.isEmpty {
                metadata["public_keys"] = .object(Dictionary(contents.publicKeys.map { ($0.name, JSONValue.string($0.key)) }) { first, _ in first })
            }
            var files = [
                ISOFile("openstack/latest/meta_data.json", text: JSONValue.object(metadata).jsonText + "\n"),
                ISOFile("openstack/latest/user_data", contents.userData),
            ]
            if let network = contents.networkData { files.append(ISOFile("openstack/latest/network_data.json", network)) }
            return files
        case .noCloud:
            // YAML written with JSON strings, which YAML reads as
            // double-quoted scalars: no value can break the document.
            var metadata = "instance-id: \(JSONValue.quoted(contents.instanceID))\n"
            if let hostname = contents.hostname { metadata += "local-hostname: \(JSONValue.quoted(hostname))\n" }
            if !contents.publicKeys.isEmpty {
                metadata += "public-keys:\n" + contents.publicKeys.map { "  - \(JSONValue.quoted($0.key))\n" }.joined()
            }
            var files = [ISOFile("meta-data", text: metadata), ISOFile("user-data", contents.userData)]
            if let network = contents.networkData { files.append(ISOFile("network-config", network)) }
            if let vendor = contents.vendorData { files.append(ISOFile("vendor-data", vendor)) }
            return files
        }
    }

    public static func build(_ format: ConfigDriveFormat, _ contents: ConfigDriveContents) throws(ISOError) -> [UInt8] {
        try ISOImage.build(files(format, contents), options: ISOOptions(volumeID: format.label))
    }
}
