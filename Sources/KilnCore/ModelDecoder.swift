/// Reads groups and profiles from matchbox's JSON files. Unknown fields are
/// ignored (newer matchbox files keep working); a field of the wrong type is
/// an error that names the field and where it is.
public enum ModelDecoder {
    public static func group(from bytes: [UInt8], path: String, fileStem: String) -> (Group?, [Diagnostic]) {
        var fields: FieldReader
        switch FieldReader.open(bytes, path: path) {
        case .success(let reader): fields = reader
        case .failure(let diagnostic): return (nil, [diagnostic])
        }
        let id = fields.string("id") ?? fileStem
        let name = fields.string("name") ?? ""
        let profile = fields.string("profile")
        var selector = fields.stringMap("selector") ?? [:]
        let metadata = fields.object("metadata") ?? [:]

        if profile == nil || profile!.isEmpty {
            fields.fail("profile", "group \"\(id)\" names no profile: add \"profile\": \"<profile id>\"")
        }
        for (key, value) in selector where key.lowercased() == "mac" {
            guard let mac = MACAddress(value) else {
                fields.fail("selector.\(key)", "selector \(key)=\(value) is not a MAC address (expected e.g. 52:54:00:12:34:56)")
                continue
            }
            selector[key] = nil
            selector["mac"] = mac.description
        }
        if let problem = IdentifierRules.problem(with: id) {
            fields.fail("id", "group id \"\(id)\" \(problem)")
        }
        guard fields.diagnostics.errors.isEmpty, let profile else { return (nil, fields.diagnostics) }
        let group = Group(id: id, name: name, profile: profile, selector: selector, metadata: metadata, sourcePath: path)
        return (group, fields.diagnostics)
    }

    public static func profile(from bytes: [UInt8], path: String, fileStem: String) -> (Profile?, [Diagnostic]) {
        var fields: FieldReader
        switch FieldReader.open(bytes, path: path) {
        case .success(let reader): fields = reader
        case .failure(let diagnostic): return (nil, [diagnostic])
        }
        let id = fields.string("id") ?? fileStem
        let name = fields.string("name") ?? ""
        var boot: BootConfig?
        if fields.object("boot") != nil {
            let kernel = fields.string("boot.kernel") ?? ""
            let initrd = fields.stringArray("boot.initrd") ?? []
            let args = fields.stringArray("boot.args") ?? []
            boot = BootConfig(kernel: kernel, initrd: initrd, args: args)
        }
        var templateIDs: [TemplateKind: String] = [:]
        for kind in TemplateKind.allCases {
            guard let value = fields.string(kind.profileField), !value.isEmpty else { continue }
            if let problem = IdentifierRules.pathProblem(with: value) {
                fields.fail(kind.profileField, "\(kind.profileField) \"\(value)\" \(problem)")
            } else {
                templateIDs[kind] = value
            }
        }
        var configDrive: ConfigDriveSpec?
        if fields.object("config_drive") != nil {
            var spec = ConfigDriveSpec()
            if let userData = fields.string("config_drive.user_data") {
                if let kind = TemplateKind(rawValue: userData) {
                    spec.userData = kind
                } else {
                    fields.fail("config_drive.user_data", "config_drive.user_data \"\(userData)\" must be ignition, cloud or generic")
                }
            }
            for field in ["network_data_id", "vendor_data_id"] {
                guard let value = fields.string("config_drive.\(field)"), !value.isEmpty else { continue }
                if let problem = IdentifierRules.pathProblem(with: value) {
                    fields.fail("config_drive.\(field)", "config_drive.\(field) \"\(value)\" \(problem)")
                } else if field == "network_data_id" {
                    spec.networkDataID = value
                } else {
                    spec.vendorDataID = value
                }
            }
            configDrive = spec
        }
        var installer: InstallerSpec?
        if let iso = fields.string("installer_iso"), !iso.isEmpty {
            if let problem = IdentifierRules.pathProblem(with: iso) {
                fields.fail("installer_iso", "installer_iso \"\(iso)\" \(problem)")
            }
            let device = fields.string("installer_dest_device")
            if let device, !device.hasPrefix("/dev/") {
                fields.fail("installer_dest_device", "installer_dest_device \"\(device)\" must be a /dev/ path")
            }
            installer = InstallerSpec(baseISO: iso, destinationDevice: device, kernelArguments: fields.stringArray("installer_kargs_append") ?? [])
        }
        var dhcpBootfile: String?
        if let bootfile = fields.string("dhcp_bootfile"), !bootfile.isEmpty {
            if bootfile.hasPrefix("http://") || bootfile.hasPrefix("https://") {
                if bootfile.utf8.count > 127 || bootfile.contains(where: { $0.isWhitespace || $0 == "\0" }) {
                    fields.fail("dhcp_bootfile", "dhcp_bootfile \"\(bootfile)\" must be a URL of at most 127 bytes without spaces")
                }
            } else if let problem = IdentifierRules.pathProblem(with: bootfile) {
                fields.fail("dhcp_bootfile", "dhcp_bootfile \"\(bootfile)\" \(problem)")
            } else if bootfile.utf8.count > 127 {
                fields.fail("dhcp_bootfile", "dhcp_bootfile \"\(bootfile)\" is longer than the 127 bytes a DHCP file field holds")
            }
            dhcpBootfile = bootfile
        }
        let clcIgnitionVersion = fields.string("clc_ignition_version").flatMap { $0.isEmpty ? nil : $0 }
        if let version = clcIgnitionVersion, !["2.2.0", "2.3.0"].contains(version) {
            fields.fail("clc_ignition_version", "clc_ignition_version \"\(version)\" must be 2.2.0 or 2.3.0")
        }
        let clcPlatform = fields.string("clc_platform").flatMap { $0.isEmpty ? nil : $0 }
        if let problem = IdentifierRules.problem(with: id) {
            fields.fail("id", "profile id \"\(id)\" \(problem)")
        }
        guard fields.diagnostics.errors.isEmpty else { return (nil, fields.diagnostics) }
        let profile = Profile(
            id: id, name: name, boot: boot,
            ignitionID: templateIDs[.ignition], cloudID: templateIDs[.cloud], genericID: templateIDs[.generic],
            configDrive: configDrive, installer: installer, dhcpBootfile: dhcpBootfile,
            clcIgnitionVersion: clcIgnitionVersion, clcPlatform: clcPlatform, sourcePath: path)
        return (profile, fields.diagnostics)
    }
}

enum IdentifierRules {
    static func problem(with id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if id.utf8.contains(0) { return "contains a NUL byte" }
        return nil
    }

    /// Template ids are file names under the data directory; they may name a
    /// sub-folder but never leave the folder of their kind.
    static func pathProblem(with id: String) -> String? {
        if id.utf8.contains(0) { return "contains a NUL byte" }
        if id.hasPrefix("/") { return "is an absolute path; name a file inside the data directory" }
        if id.contains("\\") { return "contains a backslash" }
        if id.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            return "contains '.' or '..' components; name a file inside the data directory"
        }
        return nil
    }
}

/// Typed access to a parsed document's fields, collecting one diagnostic per
/// problem with the field's line and column.
struct FieldReader {
    let document: JSONReader.Document
    let path: String
    private(set) var diagnostics: [Diagnostic] = []

    static func open(_ bytes: [UInt8], path: String) -> Result<FieldReader, Diagnostic> {
        do {
            let document = try JSONReader.parse(bytes)
            guard case .object = document.value else {
                return .failure(Diagnostic(.error, path: path, position: document.position(of: ""), "expected a JSON object at the top level, found \(document.value.kindName)"))
            }
            return .success(FieldReader(document: document, path: path))
        } catch {
            return .failure(Diagnostic(.error, path: path, position: error.position, error.reason))
        }
    }

    mutating func fail(_ fieldPath: String, _ message: String) {
        let position = document.position(of: fieldPath) ?? document.position(of: parent(of: fieldPath))
        diagnostics.append(Diagnostic(.error, path: path, position: position, message))
    }

    private func parent(of fieldPath: String) -> String {
        guard let dot = fieldPath.lastIndex(of: ".") else { return "" }
        return String(fieldPath[..<dot])
    }

    private func value(at fieldPath: String) -> JSONValue? {
        var current = document.value
        for component in fieldPath.split(separator: ".") {
            guard case .object(let object) = current, let next = object[String(component)] else { return nil }
            current = next
        }
        return current
    }

    /// nil when absent or null; a diagnostic when of another type.
    mutating func string(_ fieldPath: String) -> String? {
        switch value(at: fieldPath) {
        case nil, .null?: return nil
        case .string(let string)?: return string
        case let other?:
            fail(fieldPath, "\(fieldPath) must be a string, found \(other.kindName)")
            return nil
        }
    }

    mutating func object(_ fieldPath: String) -> [String: JSONValue]? {
        switch value(at: fieldPath) {
        case nil, .null?: return nil
        case .object(let object)?: return object
        case let other?:
            fail(fieldPath, "\(fieldPath) must be an object, found \(other.kindName)")
            return nil
        }
    }

    mutating func stringMap(_ fieldPath: String) -> [String: String]? {
        guard let object = object(fieldPath) else { return nil }
        var map: [String: String] = [:]
        for (key, value) in object {
            guard case .string(let string) = value else {
                fail("\(fieldPath).\(key)", "\(fieldPath).\(key) must be a string, found \(value.kindName) (selector values are compared as text: quote it)")
                continue
            }
            map[key] = string
        }
        return map
    }

    mutating func stringArray(_ fieldPath: String) -> [String]? {
        switch value(at: fieldPath) {
        case nil, .null?: return nil
        case .array(let array)?:
            var strings: [String] = []
            for (i, element) in array.enumerated() {
                guard case .string(let string) = element else {
                    let elementPath = "\(fieldPath)[\(i)]"
                    diagnostics.append(Diagnostic(.error, path: path, position: document.position(of: elementPath) ?? document.position(of: fieldPath), "\(elementPath) must be a string, found \(element.kindName)"))
                    continue
                }
                strings.append(string)
            }
            return strings
        case let other?:
            fail(fieldPath, "\(fieldPath) must be an array of strings, found \(other.kindName)")
            return nil
        }
    }
}
