/// A group selects machines by labels and names the profile they boot.
public struct Group: Sendable, Equatable {
    public var id: String
    public var name: String
    public var profile: String
    /// Label key → required value; `mac` values are normalised.
    public var selector: [String: String]
    public var metadata: [String: JSONValue]
    /// Where the group was read from (for messages); empty when built in code.
    public var sourcePath: String

    public init(id: String, name: String = "", profile: String, selector: [String: String] = [:], metadata: [String: JSONValue] = [:], sourcePath: String = "") {
        self.id = id
        self.name = name
        self.profile = profile
        self.selector = selector
        self.metadata = metadata
        self.sourcePath = sourcePath
    }

    /// A group without selectors matches every machine: it is a default.
    public var isDefault: Bool { selector.isEmpty }

    public func matches(_ labels: Labels) -> Bool {
        for (key, value) in selector where labels[key] != value { return false }
        return true
    }

    /// The selector as `key=value` pairs sorted by key, for messages.
    public var selectorDescription: String {
        selector.isEmpty ? "(no selectors: default)" : selector.keys.sorted().map { "\($0)=\(selector[$0]!)" }.joined(separator: " ")
    }
}

public struct BootConfig: Sendable, Equatable {
    public var kernel: String
    public var initrd: [String]
    public var args: [String]

    public init(kernel: String, initrd: [String] = [], args: [String] = []) {
        self.kernel = kernel
        self.initrd = initrd
        self.args = args
    }
}

/// A profile says what a machine boots and which configs it is given.
public struct Profile: Sendable, Equatable {
    public var id: String
    public var name: String
    public var boot: BootConfig?
    public var ignitionID: String?
    public var cloudID: String?
    public var genericID: String?
    /// Kiln's own field: what a config-drive ISO for this profile holds.
    public var configDrive: ConfigDriveSpec?
    /// Kiln's own fields: the CoreOS live ISO `/installer.iso` customises.
    public var installer: InstallerSpec?
    /// Kiln's own field: the first stage proxyDHCP offers this profile's
    /// machines instead of the one for their architecture (a file in the
    /// TFTP root, or an absolute URL for UEFI HTTP Boot).
    public var dhcpBootfile: String?
    /// Kiln's own fields: how this profile's Container Linux Configs are
    /// translated: the Ignition version ("2.2.0" as matchbox served, or
    /// "2.3.0" as Flatcar's ct writes) and the platform whose metadata
    /// fills `{PRIVATE_IPV4}`-style dynamic data.
    public var clcIgnitionVersion: String?
    public var clcPlatform: String?
    public var sourcePath: String

    public init(id: String, name: String = "", boot: BootConfig? = nil, ignitionID: String? = nil, cloudID: String? = nil, genericID: String? = nil,
                configDrive: ConfigDriveSpec? = nil, installer: InstallerSpec? = nil, dhcpBootfile: String? = nil,
                clcIgnitionVersion: String? = nil, clcPlatform: String? = nil, sourcePath: String = "") {
        self.id = id
        self.name = name
        self.boot = boot
        self.ignitionID = ignitionID
        self.cloudID = cloudID
        self.genericID = genericID
        self.configDrive = configDrive
        self.installer = installer
        self.dhcpBootfile = dhcpBootfile
        self.clcIgnitionVersion = clcIgnitionVersion
        self.clcPlatform = clcPlatform
        self.sourcePath = sourcePath
    }

    /// Every file the profile names: its configs, and the generic templates
    /// its config drive uses.
    public var templateReferences: [(TemplateKind, String)] {
        var references = TemplateKind.allCases.compactMap { kind in templateID(kind).map { (kind, $0) } }
        for id in [configDrive?.networkDataID, configDrive?.vendorDataID].compactMap({ $0 }) {
            references.append((.generic, id))
        }
        return references
    }

    public func templateID(_ kind: TemplateKind) -> String? {
        switch kind {
        case .ignition: return ignitionID
        case .cloud: return cloudID
        case .generic: return genericID
        }
    }
}

/// A profile's `config_drive`: which of its configs is the user data, and
/// generic templates for the drive's other files.
public struct ConfigDriveSpec: Sendable, Equatable {
    /// Nil: the first of ignition, cloud and generic that the profile names.
    public var userData: TemplateKind?
    /// Generic template ids: OpenStack `network_data.json` / NoCloud
    /// `network-config`, and NoCloud `vendor-data`.
    public var networkDataID: String?
    public var vendorDataID: String?

    public init(userData: TemplateKind? = nil, networkDataID: String? = nil, vendorDataID: String? = nil) {
        self.userData = userData
        self.networkDataID = networkDataID
        self.vendorDataID = vendorDataID
    }
}

/// A profile's installer ISO: `installer_iso` (a CoreOS live ISO under the
/// assets directory), `installer_dest_device`, `installer_kargs_append`.
public struct InstallerSpec: Sendable, Equatable {
    public var baseISO: String
    /// Install to this disk unattended; nil runs the config in the live system.
    public var destinationDevice: String?
    public var kernelArguments: [String]

    public init(baseISO: String, destinationDevice: String? = nil, kernelArguments: [String] = []) {
        self.baseISO = baseISO
        self.destinationDevice = destinationDevice
        self.kernelArguments = kernelArguments
    }
}

/// The kinds of config file a profile can name, each in its own folder of
/// the data directory, as in matchbox.
public enum TemplateKind: String, Sendable, CaseIterable, Hashable {
    case ignition
    case cloud
    case generic

    public var directory: String { rawValue }

    /// The profile field that names a file of this kind.
    public var profileField: String { "\(rawValue)_id" }
}

/// A config file named by a profile, read at load time so that a request
/// sees the file as it was in the same load as the group and profile.
public struct TemplateFile: Sendable, Equatable {
    public var kind: TemplateKind
    public var id: String
    public var path: String
    public var bytes: [UInt8]

    public init(kind: TemplateKind, id: String, path: String, bytes: [UInt8]) {
        self.kind = kind
        self.id = id
        self.path = path
        self.bytes = bytes
    }

    /// matchbox serves `.ign` and `.ignition` files as they are, unrendered.
    public var isRawIgnition: Bool {
        kind == .ignition && (id.hasSuffix(".ign") || id.hasSuffix(".ignition"))
    }
}

public struct TemplateKey: Sendable, Hashable {
    public var kind: TemplateKind
    public var id: String

    public init(_ kind: TemplateKind, _ id: String) {
        self.kind = kind
        self.id = id
    }
}
