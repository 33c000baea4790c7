import KilnCore
import KilnTemplate

extension Renderer {
    /// What a matched machine's config drive holds: its rendered config as
    /// user data (the profile's `config_drive.user_data`, else the first
    /// of its Ignition, cloud and generic configs), and metadata from its
    /// group (`uuid`, `hostname`, `ssh_authorized_keys` or `public_keys`),
    /// falling back to the request's labels.
    /// - Returns: the contents, with Butane's warnings about the user data.
    func configDrive(_ match: Match, _ labels: Labels) throws(AnswerFailure) -> (ConfigDriveContents, warnings: [String]) {
        let profile = match.profile
        let spec = profile.configDrive ?? ConfigDriveSpec()
        guard let kind = spec.userData ?? TemplateKind.allCases.first(where: { profile.templateID($0) != nil }) else {
            throw .unavailable("profile \"\(profile.id)\" names no ignition_id, cloud_id or generic_id to use as the config drive's user data")
        }
        let userData = try answer(.config(kind), match, labels)
        var networkData: [UInt8]?
        var vendorData: [UInt8]?
        for (field, id) in [("network_data_id", spec.networkDataID), ("vendor_data_id", spec.vendorDataID)] {
            guard let id else { continue }
            guard let template = compiled.templates[TemplateKey(.generic, id)] else {
                throw .unavailable("profile \"\(profile.id)\" config_drive.\(field) names generic/\(id), which does not exist")
            }
            let text = try rendering { () throws(RenderError) in
                do throws(TemplateError) {
                    return try template.render(variables(match, labels))
                } catch {
                    throw RenderError(description: error.description)
                }
            }
            if field == "network_data_id" { networkData = Array(text.utf8) } else { vendorData = Array(text.utf8) }
        }
        let metadata = match.group.metadata
        return (ConfigDriveContents(
            userData: userData.bytes ?? [],
            instanceID: metadata["uuid"]?.stringValue ?? labels.values["uuid"] ?? Self.instanceID(match, labels),
            hostname: metadata["hostname"]?.stringValue ?? labels.values["hostname"],
            publicKeys: Self.publicKeys(metadata),
            networkData: networkData,
            vendorData: vendorData), warnings: userData.warnings)
    }

    /// Stable per machine when nothing names one: the MAC in UUID form
    /// (00000000-0000-0000-0000-525400123456), else the group.
    static func instanceID(_ match: Match, _ labels: Labels) -> String {
        if let mac = labels.values["mac"] {
            return "00000000-0000-0000-0000-" + mac.replacingOccurrences(of: ":", with: "")
        }
        return "kiln-\(match.group.id)"
    }

    /// matchbox groups list `ssh_authorized_keys`; OpenStack names keys.
    static func publicKeys(_ metadata: [String: JSONValue]) -> [ConfigDriveContents.PublicKey] {
        if case .object(let named)? = metadata["public_keys"] {
            return named.keys.sorted().compactMap { name in named[name]?.stringValue.map { .init(name: name, key: $0) } }
        }
        guard case .array(let keys)? = metadata["ssh_authorized_keys"] else { return [] }
        return keys.compactMap(\.stringValue).enumerated().map { .init(name: "key-\($0.offset + 1)", key: $0.element) }
    }
}
