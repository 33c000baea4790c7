/// The keys of a Container Linux Config, as ct v0.9 reads them.
enum CLCSchema {
    static let hash = CLCObjectSchema("hash", ["function": .string, "sum": .string])
    static let verification = CLCObjectSchema("verification", ["hash": .object(hash)])
    static let reference = CLCObjectSchema("reference", ["source": .string, "verification": .object(verification)])
    static let ignition = CLCObjectSchema("ignition", [
        "config": .object(CLCObjectSchema("config", ["append": .list(.object(reference)), "replace": .object(reference)])),
        "timeouts": .object(CLCObjectSchema("timeouts", ["http_response_headers": .int, "http_total": .int])),
        "security": .object(CLCObjectSchema("security", [
            "tls": .object(CLCObjectSchema("tls", ["certificate_authorities": .list(.object(reference))])),
        ])),
    ])

    static let partition = CLCObjectSchema("partition", [
        "label": .string, "number": .int, "size": .string, "start": .string, "guid": .string, "type_guid": .string,
    ])
    static let disk = CLCObjectSchema("disk", ["device": .string, "wipe_table": .bool, "partitions": .list(.object(partition))])
    static let raid = CLCObjectSchema("raid", ["name": .string, "level": .string, "devices": .list(.string), "spares": .int, "options": .list(.string)])
    static let create = CLCObjectSchema("create", ["force": .bool, "options": .list(.string)])
    static let mount = CLCObjectSchema("mount", [
        "device": .string, "format": .string, "wipe_filesystem": .bool, "label": .string, "uuid": .string,
        "options": .list(.string), "create": .object(create),
    ])
    static let filesystem = CLCObjectSchema("filesystem", ["name": .string, "mount": .object(mount), "path": .string])
    static let owner = CLCObjectSchema("owner", ["id": .int, "name": .string])
    static let remote = CLCObjectSchema("remote", ["url": .string, "compression": .string, "verification": .object(verification)])
    static let contents = CLCObjectSchema("contents", ["inline": .string, "local": .string, "remote": .object(remote)])
    static let file = CLCObjectSchema("file", [
        "filesystem": .string, "path": .string, "contents": .object(contents), "mode": .int, "user": .object(owner),
        "group": .object(owner), "overwrite": .bool, "append": .bool,
    ])
    static let directory = CLCObjectSchema("directory", [
        "filesystem": .string, "path": .string, "mode": .int, "user": .object(owner), "group": .object(owner), "overwrite": .bool,
    ])
    static let link = CLCObjectSchema("link", [
        "filesystem": .string, "path": .string, "target": .string, "hard": .bool, "user": .object(owner), "group": .object(owner),
        "overwrite": .bool,
    ])
    static let storage = CLCObjectSchema("storage", [
        "disks": .list(.object(disk)), "raid": .list(.object(raid)), "filesystems": .list(.object(filesystem)),
        "files": .list(.object(file)), "directories": .list(.object(directory)), "links": .list(.object(link)),
    ])

    static let dropin = CLCObjectSchema("dropin", ["name": .string, "contents": .string])
    static let unit = CLCObjectSchema("unit", [
        "name": .string, "enable": .bool, "enabled": .bool, "mask": .bool, "contents": .string, "dropins": .list(.object(dropin)),
    ])
    static let networkdUnit = CLCObjectSchema("networkd unit", ["name": .string, "contents": .string, "dropins": .list(.object(dropin))])

    static let userCreate = CLCObjectSchema("create", [
        "uid": .int, "gecos": .string, "home_dir": .string, "no_create_home": .bool, "primary_group": .string,
        "groups": .list(.string), "no_user_group": .bool, "system": .bool, "no_log_init": .bool, "shell": .string,
    ])
    static let user = CLCObjectSchema("user", [
        "name": .string, "password_hash": .string, "ssh_authorized_keys": .list(.string), "uid": .int, "gecos": .string,
        "home_dir": .string, "no_create_home": .bool, "primary_group": .string, "groups": .list(.string), "no_user_group": .bool,
        "no_log_init": .bool, "shell": .string, "system": .bool, "create": .object(userCreate),
    ])
    static let group = CLCObjectSchema("group", ["name": .string, "gid": .int, "password_hash": .string, "system": .bool])
    static let passwd = CLCObjectSchema("passwd", ["users": .list(.object(user)), "groups": .list(.object(group))])

    /// A versioned service's options are read as text: whether one is an
    /// integer or a boolean depends on the section's version.
    static let etcd = CLCObjectSchema("etcd", CLCSugar.etcdKeys.mapValues { _ in CLCKind.string }.merging(["version": .string]) { own, _ in own })
    static let flannel = CLCObjectSchema("flannel", CLCSugar.flannelKeys.mapValues { _ in CLCKind.string }
        .merging(["version": .string, "network_config": .string]) { own, _ in own })
    static let locksmith = CLCObjectSchema("locksmith", [
        "reboot_strategy": .string, "window_start": .string, "window_length": .string, "group": .string,
        "etcd_endpoints": .string, "etcd_cafile": .string, "etcd_certfile": .string, "etcd_keyfile": .string,
    ])
    static let update = CLCObjectSchema("update", ["group": .string, "server": .string])
    static let docker = CLCObjectSchema("docker", ["flags": .list(.string)])

    static let config = CLCObjectSchema("config", [
        "ignition": .object(ignition), "storage": .object(storage),
        "systemd": .object(CLCObjectSchema("systemd", ["units": .list(.object(unit))])),
        "networkd": .object(CLCObjectSchema("networkd", ["units": .list(.object(networkdUnit))])),
        "passwd": .object(passwd), "etcd": .object(etcd), "flannel": .object(flannel), "locksmith": .object(locksmith),
        "update": .object(update), "docker": .object(docker),
    ])
}
