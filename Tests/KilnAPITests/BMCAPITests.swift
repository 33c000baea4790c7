import Foundation
import KilnAPI
import KilnCore
import KilnInventory
import KilnTestSupport
import Testing

/// The BMC endpoints in-process, with no BMC behind them: the record's
/// write-only account, bad input, and actions that fail cleanly. Actions
/// against a real Redfish emulator are in KilnRedfishTests and scripts/api-checks.sh.
@Suite struct BMCAPITests {
    static let mac = "52:54:00:bb:00:01"
    static let password = "pa55-word-never-shown"
    static let username = "operator-account-name"

    static func registration(url: String) -> String {
        #"{"url": "\#(url)", "username": "\#(username)", "password": "\#(password)", "insecure": true}"#
    }

    @Test func theAccountIsWriteOnlyAndTheFileIsPrivate() async throws {
        try await withAPI(bmc: true) { api in
            let url = "http://127.0.0.1:\(freeLoopbackPort())"
            let added = try await api.api("PUT", "/api/v1/machines/\(Self.mac)/bmc", body: Self.registration(url: url))
            #expect(added.status == 201)
            #expect(added.json?["url"] as? String == url && added.json?["trust"] as? String == "insecure")
            let replaced = try await api.api("PUT", "/api/v1/machines/\(Self.mac)/bmc", body: Self.registration(url: url))
            #expect(replaced.status == 200)
            let shown = try await api.api("GET", "/api/v1/machines/\(Self.mac)/bmc", token: api.readToken)
            #expect(shown.status == 200)
            for reply in [added, replaced, shown] {
                #expect(!reply.text.contains(Self.password) && !reply.text.contains(Self.username))
            }
            let path = api.root + "/state/bmcs.json"
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self).contains(Self.password))
            // Added before it ever booted: the machine is enrolled, the BMC shown, its events on the timeline.
            let machine = try await api.api("GET", "/api/v1/machines/\(Self.mac)")
            #expect(machine.status == 200)
            #expect((machine.json?["bmc"] as? [String: Any])?["url"] as? String == url)
            #expect(!machine.text.contains(Self.password))
            let events = try await api.api("GET", "/api/v1/machines/\(Self.mac)/events")
            let kinds = (events.json?["events"] as? [[String: Any]] ?? []).map { "\($0["kind"] ?? "") \($0["target"] ?? "")" }
            #expect(kinds.contains("bmc bmc added") && kinds.contains("bmc bmc replaced"))
            #expect(!events.text.contains(Self.password))
            #expect(try await api.api("DELETE", "/api/v1/machines/\(Self.mac)/bmc").status == 204)
            #expect(try await api.api("GET", "/api/v1/machines/\(Self.mac)/bmc").status == 404)
            #expect(try await api.api("DELETE", "/api/v1/machines/\(Self.mac)/bmc").status == 404)
            #expect(!String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self).contains(Self.password))
        }
    }

    @Test func badRegistrationsAreRefusedWithAReason() async throws {
        try await withAPI(bmc: true) { api in
            let path = "/api/v1/machines/\(Self.mac)/bmc"
            let refused: [(String, String)] = [
                (#"{"url": "https://bmc", "username": "u"}"#, "password is missing"),
                (#"{"url": "ftp://bmc", "username": "u", "password": "p"}"#, "https://"),
                (#"{"url": "https://root:calvin@bmc", "username": "u", "password": "p"}"#, "credentials"),
                (#"{"url": "https://bmc", "system_path": "/etc/passwd", "username": "u", "password": "p"}"#, "/redfish/v1/Systems/"),
                (#"{"url": "https://bmc", "username": "u", "password": "p", "ca_pem": "not a certificate"}"#, "PEM"),
                (#"{"url": "https://bmc", "username": "u", "password": "p", "ca_pem": "x", "insecure": true}"#, "not both"),
                (#"{"url": "https://bmc", "username": "u", "password": "p", "role": "admin"}"#, "unknown field"),
                (#"{"url": "https://bmc", "username": "u\u0007", "password": "p"}"#, "control"),
                (#"{"url": 5, "username": "u", "password": "p"}"#, "must be a string"),
                ("[1, 2]", "JSON object"),
            ]
            for (body, reason) in refused {
                let reply = try await api.api("PUT", path, body: body)
                #expect(reply.status == 400, "\(body)")
                #expect((reply.json?["error"] as? String)?.contains(reason) == true, "\(body): \(reply.text)")
            }
            #expect(try await api.api("PUT", "/api/v1/machines/not-a-mac/bmc", body: Self.registration(url: "https://bmc")).status == 400)
            #expect(try await api.api("PUT", path, token: api.readToken, body: Self.registration(url: "https://bmc")).status == 403)
            #expect(try await api.api("PUT", path, token: nil, body: Self.registration(url: "https://bmc")).status == 401)
            #expect(try await api.api("PATCH", path, body: "{}").status == 405)
            #expect(!FileManager.default.fileExists(atPath: api.root + "/state/bmcs.json"))
        }
    }

    @Test func actionsFailCleanlyAndAreRecorded() async throws {
        try await withAPI(bmc: true) { api in
            let base = "/api/v1/machines/\(Self.mac)/bmc"
            #expect(try await api.api("POST", base + "/power", body: #"{"action": "on"}"#).status == 404)
            let nothing = "http://127.0.0.1:\(freeLoopbackPort())"
            #expect(try await api.api("PUT", base, body: Self.registration(url: nothing)).status == 201)
            #expect(try await api.api("POST", base + "/power", body: #"{"action": "reboot"}"#).status == 400)
            #expect(try await api.api("POST", base + "/boot", body: #"{"device": "floppy"}"#).status == 400)
            #expect(try await api.api("POST", base + "/media", body: #"{"image": "file:///etc/shadow"}"#).status == 400)
            #expect(try await api.api("POST", base + "/netboot", body: #"{"now": true}"#).status == 400)
            // No --public-url: install-iso cannot tell the BMC where the image is.
            let install = try await api.api("POST", base + "/install-iso", body: "")
            #expect(install.status == 400 && install.text.contains("--public-url"))
            // Nothing listens at the BMC's address: 502 within the connect timeout, on the timeline too.
            var power = try await api.api("POST", base + "/power", body: #"{"action": "on"}"#)
            for _ in 0..<50 where power.status == 409 {  // the background fact read may still hold the BMC
                try await Task.sleep(for: .milliseconds(100))
                power = try await api.api("POST", base + "/power", body: #"{"action": "on"}"#)
            }
            #expect(power.status == 502)
            #expect((power.json?["error"] as? String)?.contains("unreachable") == true, "\(power.text)")
            let events = try await api.api("GET", "/api/v1/machines/\(Self.mac)/events")
            let failed = (events.json?["events"] as? [[String: Any]] ?? []).filter { $0["target"] as? String == "power on" }
            #expect(failed.first?["status"] as? Int == 502 && (failed.first?["reason"] as? String)?.contains("unreachable") == true)
            // A failed BMC action is not the machine's boot error.
            #expect(try await api.api("GET", "/api/v1/machines/\(Self.mac)").json?["last_error"] is NSNull)
        }
    }

    @Test func withBMCControlOffTheEndpointsSaySo() async throws {
        try await withAPI { api in
            let reply = try await api.api("GET", "/api/v1/machines/\(Self.mac)/bmc")
            #expect(reply.status == 503 && reply.text.contains("BMC control is off"))
        }
    }
}
