import KilnIgnition

/// The `etcd`, `flannel`, `docker`, `update` and `locksmith` sections: each
/// becomes a unit with a `20-clct-*.conf` drop-in, or lines of
/// `/etc/coreos/update.conf`, written the way ct writes them so machines
/// configured by ct and by Kiln end up with the same files.
enum CLCSugar {
    enum OptionType: Sendable {
        case string, int, bool
    }

    /// One option of a versioned service: its YAML key, which is also its
    /// flag with `_` as `-` unless `flag` says otherwise.
    struct Option: Sendable {
        let key: String
        let type: OptionType
        let flag: String

        init(_ key: String, _ type: OptionType, flag: String? = nil) {
            self.key = key
            self.type = type
            self.flag = flag ?? key.replacingOccurrences(of: "_", with: "-")
        }
    }

    // MARK: etcd option sets, in ct's order (which is the flag order)

    private static func options(_ list: [(String, OptionType)]) -> [Option] { list.map { Option($0.0, $0.1) } }

    static let etcd3_0: [Option] = options([
        ("name", .string), ("data_dir", .string), ("wal_dir", .string), ("snapshot_count", .int), ("heartbeat_interval", .int),
        ("election_timeout", .int), ("enable_pprof", .bool), ("listen_peer_urls", .string), ("listen_client_urls", .string),
        ("max_snapshots", .int), ("max_wals", .int), ("cors", .string),
        ("initial_advertise_peer_urls", .string), ("initial_cluster", .string), ("initial_cluster_state", .string),
        ("initial_cluster_token", .string), ("advertise_client_urls", .string),
        ("discovery", .string), ("discovery_srv", .string), ("discovery_fallback", .string), ("discovery_proxy", .string),
        ("strict_reconfig_check", .bool), ("auto_compaction_retention", .int),
        ("proxy", .string), ("proxy_failure_wait", .int), ("proxy_refresh_interval", .int), ("proxy_dial_timeout", .int),
        ("proxy_write_timeout", .int), ("proxy_read_timeout", .int),
        ("ca_file", .string), ("cert_file", .string), ("key_file", .string), ("client_cert_auth", .bool), ("trusted_ca_file", .string), ("auto_tls", .bool),
        ("peer_ca_file", .string), ("peer_cert_file", .string), ("peer_key_file", .string), ("peer_client_cert_auth", .bool),
        ("peer_trusted_ca_file", .string), ("peer_auto_tls", .bool),
        ("debug", .bool), ("log_package_levels", .string), ("force_new_cluster", .bool),
    ])

    static let etcd3_1: [Option] = etcd3_0 + options([("metrics", .string), ("log_output", .string)])

    static let etcd3_2: [Option] = {
        var list = etcd3_1
        list.insert(Option("enable_v2", .bool), at: list.firstIndex { $0.key == "enable_pprof" }! + 1)
        list.insert(Option("auth_token", .string), at: list.firstIndex { $0.key == "debug" }!)
        return list
    }()

    static let etcd3_3: [Option] = options([
        ("name", .string), ("data_dir", .string), ("wal_dir", .string), ("snapshot_count", .int), ("heartbeat_interval", .int),
        ("election_timeout", .int), ("enable_pprof", .bool), ("enable_v2", .bool), ("listen_peer_urls", .string), ("listen_client_urls", .string),
        ("max_snapshots", .int), ("max_wals", .int), ("cors", .string),
        ("quota_backend_bytes", .int), ("max_txn_ops", .int), ("max_request_bytes", .int),
        ("grpc_keepalive_min_time", .string), ("grpc_keepalive_interval", .string), ("grpc_keepalive_timeout", .string),
        ("initial_advertise_peer_urls", .string), ("initial_cluster", .string), ("initial_cluster_state", .string),
        ("initial_cluster_token", .string), ("advertise_client_urls", .string),
        ("discovery", .string), ("discovery_srv", .string), ("discovery_fallback", .string), ("discovery_proxy", .string),
        ("strict_reconfig_check", .bool), ("auto_compaction_retention", .string), ("auto_compaction_mode", .string),
        ("proxy", .string), ("proxy_failure_wait", .int), ("proxy_refresh_interval", .int), ("proxy_dial_timeout", .int),
        ("proxy_write_timeout", .int), ("proxy_read_timeout", .int),
        ("ca_file", .string), ("cert_file", .string), ("key_file", .string), ("client_cert_auth", .bool), ("client_crl_file", .string),
        ("trusted_ca_file", .string), ("auto_tls", .bool),
        ("peer_ca_file", .string), ("peer_cert_file", .string), ("peer_key_file", .string), ("peer_client_cert_auth", .bool),
        ("peer_crl_file", .string), ("peer_trusted_ca_file", .string), ("peer_auto_tls", .bool), ("peer_cert_allowed_cn", .string),
        ("auth_token", .string), ("debug", .bool), ("log_package_levels", .string), ("force_new_cluster", .bool),
        ("metrics", .string), ("log_output", .string),
        ("listen_metrics_urls", .string), ("experimental_initial_corrupt_check", .bool), ("experimental_corrupt_check_time", .string),
        ("experimental_enable_v2v3", .string),
    ])

    static let etcd2_3: [Option] = options([
        ("advertise_client_urls", .string), ("ca_file", .string), ("cert_file", .string), ("client_cert_auth", .bool), ("cors", .string),
        ("data_dir", .string), ("debug", .bool), ("discovery", .string), ("discovery_fallback", .string), ("discovery_srv", .string),
        ("discovery_proxy", .string), ("election_timeout", .int), ("enable_pprof", .bool), ("force_new_cluster", .bool),
        ("heartbeat_interval", .int), ("initial_advertise_peer_urls", .string), ("initial_cluster", .string),
        ("initial_cluster_state", .string), ("initial_cluster_token", .string), ("key_file", .string), ("listen_client_urls", .string),
        ("listen_peer_urls", .string), ("log_package_levels", .string), ("max_snapshots", .int), ("max_wals", .int), ("name", .string),
        ("peer_ca_file", .string), ("peer_cert_file", .string), ("peer_key_file", .string), ("peer_client_cert_auth", .bool),
        ("peer_trusted_ca_file", .string), ("proxy", .string), ("proxy_dial_timeout", .int), ("proxy_failure_wait", .int),
        ("proxy_read_timeout", .int), ("proxy_refresh_interval", .int), ("proxy_write_timeout", .int), ("snapshot_count", .int),
        ("strict_reconfig_check", .bool), ("trusted_ca_file", .string), ("wal_dir", .string),
    ])

    // MARK: flannel option sets

    static let flannel0_5: [Option] = [
        Option("etcd_endpoints", .string), Option("etcd_cafile", .string), Option("etcd_certfile", .string), Option("etcd_keyfile", .string),
        Option("etcd_prefix", .string), Option("ip_masq", .string), Option("subnet_file", .string), Option("interface", .string, flag: "iface"),
        Option("public_ip", .string),
    ]
    static let flannel0_6: [Option] = [Option("etcd_username", .string), Option("etcd_password", .string)] + flannel0_5
    static let flannel0_7: [Option] = flannel0_6 + [Option("kube_subnet_mgr", .bool)]

    /// Every key any version knows, so the decoder can read them all; which
    /// ones apply is decided by the section's version.
    static let etcdKeys: [String: OptionType] = merged([etcd2_3, etcd3_0, etcd3_1, etcd3_2, etcd3_3])
    static let flannelKeys: [String: OptionType] = merged([flannel0_7])

    private static func merged(_ sets: [[Option]]) -> [String: OptionType] {
        var keys: [String: OptionType] = [:]
        for set in sets {
            for option in set where keys[option.key] == nil { keys[option.key] = option.type }
        }
        // auto_compaction_retention is an integer before etcd 3.3 and a
        // string after: read its text and decide with the version.
        keys["auto_compaction_retention"] = .string
        return keys
    }

    struct Version: Comparable, CustomStringConvertible {
        var major: Int, minor: Int, patch: Int
        var text: String

        /// go-semver's dotted triple, with an optional pre-release or build suffix.
        init?(_ text: String) {
            let core = text.prefix { $0 != "-" && $0 != "+" }
            let parts = core.split(separator: ".", omittingEmptySubsequences: false)
            guard !text.isEmpty, parts.count == 3, let major = Int(parts[0]), let minor = Int(parts[1]), let patch = Int(parts[2]),
                  major >= 0, minor >= 0, patch >= 0 else { return nil }
            self.major = major
            self.minor = minor
            self.patch = patch
            self.text = text
        }

        var description: String { text }

        static func < (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }

        static func == (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.patch) == (rhs.major, rhs.minor, rhs.patch)
        }
    }

    // MARK: Dynamic data

    static let platforms = ["azure", "digitalocean", "ec2", "gce", "packet", "openstack-metadata", "vagrant-virtualbox", "cloudstack-configdrive", "custom"]

    /// `{NAME}` → the environment variable coreos-metadata writes on each platform.
    static let dynamicData: [String: [String: String]] = [
        "azure": ["PRIVATE_IPV4": "COREOS_AZURE_IPV4_DYNAMIC", "PUBLIC_IPV4": "COREOS_AZURE_IPV4_VIRTUAL"],
        "digitalocean": ["HOSTNAME": "COREOS_DIGITALOCEAN_HOSTNAME", "PRIVATE_IPV4": "COREOS_DIGITALOCEAN_IPV4_PRIVATE_0",
                         "PUBLIC_IPV4": "COREOS_DIGITALOCEAN_IPV4_PUBLIC_0", "PRIVATE_IPV6": "COREOS_DIGITALOCEAN_IPV6_PRIVATE_0",
                         "PUBLIC_IPV6": "COREOS_DIGITALOCEAN_IPV6_PUBLIC_0"],
        "ec2": ["HOSTNAME": "COREOS_EC2_HOSTNAME", "PRIVATE_IPV4": "COREOS_EC2_IPV4_LOCAL", "PUBLIC_IPV4": "COREOS_EC2_IPV4_PUBLIC"],
        "gce": ["HOSTNAME": "COREOS_GCE_HOSTNAME", "PRIVATE_IPV4": "COREOS_GCE_IP_LOCAL_0", "PUBLIC_IPV4": "COREOS_GCE_IP_EXTERNAL_0"],
        "packet": ["HOSTNAME": "COREOS_PACKET_HOSTNAME", "PRIVATE_IPV4": "COREOS_PACKET_IPV4_PRIVATE_0",
                   "PUBLIC_IPV4": "COREOS_PACKET_IPV4_PUBLIC_0", "PUBLIC_IPV6": "COREOS_PACKET_IPV6_PUBLIC_0"],
        "openstack-metadata": ["HOSTNAME": "COREOS_OPENSTACK_HOSTNAME", "PRIVATE_IPV4": "COREOS_OPENSTACK_IPV4_LOCAL",
                               "PUBLIC_IPV4": "COREOS_OPENSTACK_IPV4_PUBLIC"],
        "vagrant-virtualbox": ["HOSTNAME": "COREOS_VAGRANT_VIRTUALBOX_HOSTNAME", "PRIVATE_IPV4": "COREOS_VAGRANT_VIRTUALBOX_PRIVATE_IPV4"],
        "cloudstack-configdrive": ["HOSTNAME": "CLOUDSTACK_LOCAL_HOSTNAME"],
        "custom": ["HOSTNAME": "COREOS_CUSTOM_HOSTNAME", "PRIVATE_IPV4": "COREOS_CUSTOM_PRIVATE_IPV4", "PUBLIC_IPV4": "COREOS_CUSTOM_PUBLIC_IPV4",
                   "PRIVATE_IPV6": "COREOS_CUSTOM_PRIVATE_IPV6", "PUBLIC_IPV6": "COREOS_CUSTOM_PUBLIC_IPV6"],
    ]

    /// `{NAME}` → `${VARIABLE}`; nil (with the unknown name) when a name is
    /// not one this platform's metadata agent provides.
    static func substitute(_ text: String, platform: String) -> Result<String, UnknownField> {
        let table = dynamicData[platform] ?? [:]
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            out += rest[..<open]
            guard rest[open] == "{", let close = rest[open...].firstIndex(of: "}") else {
                return .failure(UnknownField(name: String(rest[open...].prefix(20))))
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard let variable = table[name] else { return .failure(UnknownField(name: name)) }
            out += "${\(variable)}"
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return .success(out)
    }

    struct UnknownField: Error {
        var name: String
    }

    /// Go's `%q` for the strings ct puts in flags and update.conf.
    static func goQuote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The text of a `20-clct-*.conf` drop-in: `[Unit]` only when dynamic
    /// data needs coreos-metadata, no trailing newline (ct writes none).
    static func dropIn(exec: String, arguments: [String], environment: [String], usesMetadata: Bool, extraService: [String] = []) -> String {
        var unit: [String] = []
        var service: [String] = []
        if usesMetadata {
            unit = ["Requires=coreos-metadata.service", "After=coreos-metadata.service"]
            service.append("EnvironmentFile=/run/metadata/coreos")
        }
        service += environment.map { "Environment=\"\($0)\"" }
        service.append("ExecStart=")
        service.append("ExecStart=" + exec + arguments.map { " \\\n  " + $0 }.joined())
        service += extraService
        var sections: [String] = []
        if !unit.isEmpty { sections.append("[Unit]\n" + unit.joined(separator: "\n")) }
        sections.append("[Service]\n" + service.joined(separator: "\n"))
        return sections.joined(separator: "\n\n")
    }
}
