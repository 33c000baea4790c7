import KilnCore
import KilnIgnition

extension CLCTranslator {
    func sugarUnit(_ name: String, dropin: String, contents: String, enable: Bool = true, enabled: Bool? = nil) -> IgnitionValue {
        object(schema.unit, [
            "name": .string(name), "enable": enable ? .bool(true) : nil, "enabled": enabled.map(IgnitionValue.bool),
            "dropins": .list([object(schema.dropin, ["name": .string(dropin), "contents": .string(contents)])]),
        ])
    }

    /// OpenStack and CloudStack need coreos-metadata told its provider;
    /// ct adds these two units for them whether or not dynamic data is used.
    func platformUnits(_ platform: String) -> [IgnitionValue] {
        guard platform == "openstack-metadata" || platform == "cloudstack-configdrive" else { return [] }
        let contents = "[Service]\nEnvironment=COREOS_METADATA_OPT_PROVIDER=--provider=\(platform)"
        return [
            sugarUnit("coreos-metadata.service", dropin: "20-clct-provider-override.conf", contents: contents, enable: false),
            sugarUnit("coreos-metadata-sshkeys@.service", dropin: "20-clct-provider-override.conf", contents: contents, enable: false, enabled: true),
        ]
    }

    func dockerUnit(_ section: CLCObject) -> IgnitionValue {
        let flags = section.strings("flags").joined(separator: " ")
        return sugarUnit("docker.service", dropin: "20-clct-docker.conf", contents: "[Service]\nEnvironment=\"DOCKER_OPTS=\(flags)\"")
    }

    mutating func etcdUnit(_ section: CLCObject) -> IgnitionValue? {
        var options = CLCSugar.etcd3_0
        var environment: [String] = []
        if let text = section.string("version") {
            guard let version = CLCSugar.Version(text) else {
                report.error(section.place(of: "version"), "etcd version \"\(text)\" is not a version such as 3.3.1")
                return nil
            }
            switch (version.major, version.minor) {
            case (3, 0): options = CLCSugar.etcd3_0
            case (3, 1): options = CLCSugar.etcd3_1
            case (3, 2): options = CLCSugar.etcd3_2
            case (3, 3): options = CLCSugar.etcd3_3
            case (3, _):
                report.warning(section.place(of: "version"), "etcd \(text) is newer than the option sets ct knows: only etcd 3.3's options are accepted")
                options = CLCSugar.etcd3_3
            case (2, 3): options = CLCSugar.etcd2_3
            case (2, let minor) where minor > 3:
                report.warning(section.place(of: "version"), "etcd \(text) is newer than the option sets ct knows: only etcd 2.3's options are accepted")
                options = CLCSugar.etcd2_3
            case (let major, _) where major > 3:
                report.error(section.place(of: "version"), "etcd version \(text) is not valid (too new; ct knows 2.3 and 3.0 to 3.3)")
                return nil
            default:
                report.error(section.place(of: "version"), "etcd version \(text) is not valid (too old; ct knows 2.3 and 3.0 to 3.3)")
                return nil
            }
            environment.append("ETCD_IMAGE_TAG=v\(text)")
        }
        guard let (arguments, usesMetadata) = arguments(section, options, service: "etcd") else { return nil }
        let contents = CLCSugar.dropIn(exec: "/usr/lib/coreos/etcd-wrapper $ETCD_OPTS", arguments: arguments, environment: environment, usesMetadata: usesMetadata)
        return sugarUnit("etcd-member.service", dropin: "20-clct-etcd-member.conf", contents: contents)
    }

    mutating func flannelUnit(_ section: CLCObject) -> IgnitionValue? {
        var options = CLCSugar.flannel0_6
        var environment: [String] = []
        if let text = section.string("version") {
            guard let version = CLCSugar.Version(text) else {
                report.error(section.place(of: "version"), "flannel version \"\(text)\" is not a version such as 0.7.1")
                return nil
            }
            switch (version.major, version.minor) {
            case (0, 5): options = CLCSugar.flannel0_5
            case (0, 6): options = CLCSugar.flannel0_6
            case (0, 7): options = CLCSugar.flannel0_7
            case (0, let minor) where minor > 7:
                report.warning(section.place(of: "version"), "flannel \(text) is newer than the option sets ct knows: only flannel 0.7's options are accepted")
                options = CLCSugar.flannel0_7
            case (0, _):
                report.error(section.place(of: "version"), "invalid flannel version \(text) (too old; ct knows 0.5 to 0.7)")
                return nil
            default:
                report.warning(section.place(of: "version"), "flannel \(text) has no option set ct knows: no options are written")
                options = []
            }
            environment.append("FLANNEL_IMAGE_TAG=v\(text)")
        }
        let networkConfig = section.string("network_config") ?? ""
        if !networkConfig.isEmpty {
            if (try? JSONReader.parse(Array(networkConfig.utf8), positionDepth: 0)) == nil {
                report.error(section.place(of: "network_config"), "flannel network config doesn't appear to be valid JSON")
            }
            if options.contains(where: { $0.key == "kube_subnet_mgr" }), CLCDecoder.boolean(section.string("kube_subnet_mgr") ?? "") == true {
                report.error(section.place(of: "network_config"), "flannel network config cannot be provided if kube_subnet_mgr is set")
            }
        }
        guard let (arguments, usesMetadata) = arguments(section, options, service: "flannel") else { return nil }
        var extra: [String] = []
        if !networkConfig.isEmpty {
            // etcdctl talks to the same etcd flannel does; the key is fixed
            // whatever etcd_prefix says, as ct writes it.
            var line = "ExecStartPre=/usr/bin/etcdctl"
            for (key, flag) in [("etcd_endpoints", "endpoints"), ("etcd_cafile", "ca-file"), ("etcd_certfile", "cert-file"), ("etcd_keyfile", "key-file")] {
                if let value = section.string(key) { line += " --\(flag)=\(CLCSugar.goQuote(value))" }
            }
            extra.append(line + " set /coreos.com/network/config \(CLCSugar.goQuote(networkConfig))")
        }
        let contents = CLCSugar.dropIn(exec: "/usr/lib/coreos/flannel-wrapper $FLANNEL_OPTS", arguments: arguments, environment: environment,
                                       usesMetadata: usesMetadata, extraService: extra)
        return sugarUnit("flanneld.service", dropin: "20-clct-flannel.conf", contents: contents)
    }

    /// A service's options as `--flag=value` in the option set's order,
    /// with dynamic data resolved for the platform. Nil after an error.
    mutating func arguments(_ section: CLCObject, _ options: [CLCSugar.Option], service: String) -> ([String], Bool)? {
        let known = Set(options.map(\.key))
        for key in section.values.keys.sorted() where !known.contains(key) && key != "version" && key != "network_config" {
            report.warning(section.place(of: key), "unknown key: \(service) \(section.string("version") ?? "(default version)") has no option \(key)")
        }
        var arguments: [String] = []
        var failed = false
        for option in options {
            guard let text = section.string(option.key) else { continue }
            let value: String
            switch option.type {
            case .string:
                value = CLCSugar.goQuote(text)
            case .int:
                guard let number = ButaneDecoder.integer(text) else {
                    report.error(section.place(of: option.key), "expected an integer, found \"\(text)\"")
                    failed = true
                    continue
                }
                value = String(number)
            case .bool:
                guard let flag = CLCDecoder.boolean(text) else {
                    report.error(section.place(of: option.key), "expected a boolean (true or false), found \"\(text)\"")
                    failed = true
                    continue
                }
                value = String(flag)
            }
            arguments.append("--\(option.flag)=\(value)")
        }
        guard !failed else { return nil }
        guard arguments.contains(where: { $0.contains("{") || $0.contains("}") }) else { return (arguments, false) }
        guard let platform = self.options.platform, !platform.isEmpty else {
            report.error(section.place, "platform must be specified to use templating: \(service) uses {…} dynamic data, which needs a platform (kiln ct --platform, or the profile's clc_platform)")
            return nil
        }
        var resolved: [String] = []
        for argument in arguments {
            switch CLCSugar.substitute(argument, platform: platform) {
            case .success(let text): resolved.append(text)
            case .failure(let unknown):
                let offered = (CLCSugar.dynamicData[platform] ?? [:]).keys.sorted().map { "{\($0)}" }.joined(separator: " ")
                report.error(section.place, "unknown field {\(unknown.name)} in \(service)'s options: \(platform) provides \(offered.isEmpty ? "none" : offered)")
                return nil
            }
        }
        return (resolved, true)
    }

    static let rebootStrategies = ["reboot", "etcd-lock", "off"]
    static let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// `/etc/coreos/update.conf` from the update and locksmith sections,
    /// line for line as ct writes it (no trailing newline, and a leading
    /// one when there is no group).
    mutating func updateConf(update: CLCObject?, locksmith: CLCObject?, at place: SourcePlace) -> IgnitionValue? {
        guard update != nil || locksmith != nil else { return nil }
        var text = ""
        if let update {
            let group = update.string("group") ?? "", server = update.string("server") ?? ""
            if !["stable", "beta", "alpha"].contains(group.lowercased()), server.isEmpty {
                report.warning(update.place(of: "group"), "unknown update group \"\(group)\" (stable, beta or alpha, or set a server)")
            }
            if !server.isEmpty, !server.contains("://") {
                report.error(update.place(of: "server"), "update server \"\(server)\" is not a URL")
            }
            if !group.isEmpty { text += "GROUP=\(group.lowercased())" }
            if !server.isEmpty { text += "\nSERVER=\(server)" }
        }
        if let locksmith {
            if let strategy = locksmith.string("reboot_strategy"), !Self.rebootStrategies.contains(strategy.lowercased()) {
                report.error(locksmith.place(of: "reboot_strategy"), "unknown reboot strategy \"\(strategy)\" (reboot, etcd-lock or off)")
            }
            let start = locksmith.string("window_start"), length = locksmith.string("window_length")
            if (start == nil) != (length == nil) {
                report.error(locksmith.place, "window-start and window-length must both be specified")
            }
            if let start { check(Self.windowStartProblem(start), at: locksmith.place(of: "window_start")) }
            if let length, !Self.isDuration(length) {
                report.error(locksmith.place(of: "window_length"), "couldn't parse window length \"\(length)\" (a duration such as 2h or 1h30m)")
            }
            let keys = [("reboot_strategy", "REBOOT_STRATEGY"), ("window_start", "LOCKSMITHD_REBOOT_WINDOW_START"),
                        ("window_length", "LOCKSMITHD_REBOOT_WINDOW_LENGTH"), ("group", "LOCKSMITHD_GROUP"),
                        ("etcd_endpoints", "LOCKSMITHD_ENDPOINT"), ("etcd_cafile", "LOCKSMITHD_ETCD_CAFILE"),
                        ("etcd_certfile", "LOCKSMITHD_ETCD_CERTFILE"), ("etcd_keyfile", "LOCKSMITHD_ETCD_KEYFILE")]
            let lines = keys.compactMap { key, variable in locksmith.string(key).map { "\(variable)=\(CLCSugar.goQuote($0))" } }
            if !lines.isEmpty { text += "\n" + lines.joined(separator: "\n") }
        }
        guard !text.isEmpty else { return nil }
        var contents = IgnitionObject(schema.contents)
        contents["source"] = .string("data:," + DataURL.percentEncode(Array(text.utf8)))
        contents["verification"] = .object(IgnitionObject(schema.verification))
        return object(schema.file, [
            "filesystem": .string("root"), "path": .string("/etc/coreos/update.conf"), "contents": .object(contents), "mode": .int(0o644),
        ])
    }

    /// `[Day ]H:MM`, as locksmithd reads it.
    static func windowStartProblem(_ text: String) -> String? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        var time = Substring(text)
        if parts.count == 2 {
            guard days.contains(parts[0].lowercased()) else { return "unknown day in window start \"\(text)\" (sun to sat)" }
            time = parts[1]
        }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2, (1...2).contains(clock[0].count), clock[1].count == 2,
              let hour = Int(clock[0]), let minute = Int(clock[1]), (0..<24).contains(hour), (0..<60).contains(minute) else {
            return "couldn't parse window start \"\(text)\" (e.g. \"Sun 1:00\" or \"04:30\")"
        }
        return nil
    }

    /// Go's time.ParseDuration: numbers with units ns, us, µs, ms, s, m, h.
    static func isDuration(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
        if rest == "0" { return true }
        guard !rest.isEmpty else { return false }
        let units = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, Double(number) != nil else { return false }
            rest = rest.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.count > $1.count }).first(where: { rest.hasPrefix($0) }) else { return false }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }
}
