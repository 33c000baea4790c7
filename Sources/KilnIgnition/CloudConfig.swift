import Yams

/// Checks a cloud-config (a file that starts with `#cloud-config`) against
/// the keys coreos-cloudinit reads and cloud-init's common ones: YAML that
/// does not parse is an error with its line and column, an unknown key is a
/// warning (a typo there is silently ignored on the machine). Anything else
/// (a `#!` script, an empty file) is not a cloud-config and is not checked.
public enum CloudConfig {
    public static func isCloudConfig(_ text: String) -> Bool {
        text.hasPrefix("#cloud-config")
    }

    /// coreos-cloudinit's top-level keys, then cloud-init's common modules.
    static let topLevel: Set<String> = [
        "coreos", "write_files", "ssh_authorized_keys", "users", "hostname", "manage_etc_hosts",
        "bootcmd", "runcmd", "packages", "package_update", "package_upgrade", "package_reboot_if_required", "groups",
        "timezone", "ntp", "chpasswd", "ssh_pwauth", "ssh_keys", "ssh_deletekeys", "ssh_genkeytypes", "disable_root",
        "final_message", "apt", "yum_repos", "mounts", "mount_default_fields", "fqdn", "prefer_fqdn_over_hostname",
        "preserve_hostname", "power_state", "growpart", "resize_rootfs", "locale", "ca_certs", "ca-certs", "phone_home",
        "rsyslog", "snap", "swap", "disk_setup", "fs_setup", "manage_resolv_conf", "resolv_conf", "network", "merge_how",
        "merge_type", "user", "system_info", "keyboard", "random_seed", "seed_random", "write_metadata", "output",
    ]
    static let coreos: Set<String> = ["units", "etcd", "etcd2", "fleet", "flannel", "locksmith", "update", "oem"]
    static let unit: Set<String> = ["name", "runtime", "enable", "content", "command", "mask", "drop-ins"]
    static let dropIn: Set<String> = ["name", "content"]
    static let writeFile: Set<String> = ["path", "content", "encoding", "permissions", "owner", "append", "defer", "source"]
    static let update: Set<String> = ["reboot-strategy", "server", "group"]

    /// Problems found, each with its line and column where the YAML has them.
    public static func check(_ text: String) -> [ButaneDiagnostic] {
        guard isCloudConfig(text) else { return [] }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic, .default, .utf8)
        } catch let error as YamlError {
            return [ButaneDecoder.diagnostic(for: error)]
        } catch {
            return [ButaneDiagnostic(.error, path: "", "YAML: \(error)")]
        }
        guard let root else { return [] }
        guard case .mapping(let mapping) = root else {
            return [ButaneDiagnostic(.error, line: root.mark?.line, column: root.mark?.column, path: "", "a cloud-config is a mapping of keys (hostname:, write_files:…)")]
        }
        var findings: [ButaneDiagnostic] = []
        func note(_ node: Node, _ path: String, _ message: String, error: Bool = false) {
            findings.append(ButaneDiagnostic(error ? .error : .warning, line: node.mark?.line, column: node.mark?.column, path: path, message))
        }
        func keys(_ mapping: Node.Mapping, _ known: Set<String>, _ path: String, _ what: String) {
            for (key, _) in mapping {
                guard let name = key.string else { continue }
                if !known.contains(name) {
                    note(key, path.isEmpty ? name : "\(path).\(name)", "unknown key (not read by coreos-cloudinit or cloud-init's \(what))")
                }
            }
        }
        func list(_ node: Node?, _ path: String, each: (Node.Mapping, String) -> Void) {
            guard let node else { return }
            guard case .sequence(let items) = node else {
                note(node, path, "must be a list", error: true)
                return
            }
            for (index, item) in items.enumerated() {
                guard case .mapping(let entry) = item else {
                    note(item, "\(path).\(index)", "must be a mapping", error: true)
                    continue
                }
                each(entry, "\(path).\(index)")
            }
        }
        keys(mapping, topLevel, "", "top-level keys")
        if let coreosNode = mapping["coreos"] {
            if case .mapping(let coreos) = coreosNode {
                keys(coreos, Self.coreos, "coreos", "coreos section")
                list(coreos["units"], "coreos.units") { unit, path in
                    keys(unit, Self.unit, path, "unit fields")
                    if unit["name"] == nil { note(.mapping(unit), path, "a unit needs a name", error: true) }
                    list(unit["drop-ins"], path + ".drop-ins") { keys($0, Self.dropIn, $1, "drop-in fields") }
                }
                if case .mapping(let update)? = coreos["update"] { keys(update, Self.update, "coreos.update", "update fields") }
            } else {
                note(coreosNode, "coreos", "must be a mapping", error: true)
            }
        }
        list(mapping["write_files"], "write_files") { file, path in
            keys(file, writeFile, path, "write_files fields")
            if file["path"] == nil { note(.mapping(file), path, "a file needs a path", error: true) }
        }
        if let keysNode = mapping["ssh_authorized_keys"], case .sequence = keysNode {} else if let keysNode = mapping["ssh_authorized_keys"] {
            note(keysNode, "ssh_authorized_keys", "must be a list of keys", error: true)
        }
        if let usersNode = mapping["users"], case .scalar = usersNode {
            note(usersNode, "users", "must be a list", error: true)
        }
        return findings
    }
}
