#!/usr/bin/env python3
"""matchbox's gRPC API as terraform-provider-matchbox calls it, against a
running `kiln serve --rpc-address`. Run by scripts/rpc-checks.sh, which makes
the certificates, starts the server and generates the stubs (PYTHONPATH)
from Kiln's .proto files. Prints ok/FAIL per check; exits 1 on any failure."""
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import urllib.request

import grpc

from matchbox.rpc.rpcpb import rpc_pb2_grpc
from matchbox.server.serverpb import messages_pb2 as pb
from matchbox.storage.storagepb import storage_pb2 as store

ADDRESS = os.environ["RPC_ADDRESS"]
HTTP = os.environ["HTTP_BASE"]
CERTS = os.environ["CERTS"]
DATA = os.environ["DATA"]
KILN = os.environ["KILN"]
SERVE_LOG = os.environ["SERVE_LOG"]
passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""))


def read(name):
    with open(os.path.join(CERTS, name), "rb") as handle:
        return handle.read()


def channel(cert="client", ca="ca.pem"):
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(ca),
        private_key=read(f"{cert}.key") if cert else None,
        certificate_chain=read(f"{cert}.pem") if cert else None)
    # The server certificate names 127.0.0.1, as the provider's host:port endpoint would.
    return grpc.secure_channel(ADDRESS, credentials)


def stubs(chan):
    return (rpc_pb2_grpc.GroupsStub(chan), rpc_pb2_grpc.ProfilesStub(chan), rpc_pb2_grpc.IgnitionStub(chan),
            rpc_pb2_grpc.GenericStub(chan), rpc_pb2_grpc.SelectStub(chan))


def error_of(call):
    try:
        call()
        return None
    except grpc.RpcError as error:
        return error


def http(path):
    with urllib.request.urlopen(HTTP + path, timeout=10) as answer:
        return answer.read()


def tree_digest():
    digest = hashlib.sha256()
    for folder, _, files in sorted(os.walk(DATA)):
        if "/state" in folder:
            continue
        for name in sorted(files):
            path = os.path.join(folder, name)
            digest.update(path.encode())
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


BUTANE = b"""variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/hostname
      contents:
        inline: {{.hostname}}
"""
MAC = "52:54:00:aa:bb:01"

with channel() as chan:
    groups, profiles, ignition, generic, select = stubs(chan)
    # terraform apply: the profile, its templates, then the group.
    profile = store.Profile(id="worker", boot=store.NetBoot(kernel="/assets/vmlinuz", initrd=["/assets/initrd.img"],
                                                            args=["console=ttyS0", "ignition.config.url=http://kiln/ignition?mac=${mac:hexhyp}"]),
                            ignition_id="worker.yaml.tmpl", generic_id="worker")
    try:
        ignition.IgnitionPut(pb.IgnitionPutRequest(name="worker.yaml.tmpl", config=BUTANE), timeout=20)
        generic.GenericPut(pb.GenericPutRequest(name="worker", config=b"role={{.hostname}}\n"), timeout=20)
        profiles.ProfilePut(pb.ProfilePutRequest(profile=profile), timeout=20)
        metadata = json.dumps({"hostname": "node1.example", "count": 3}).encode()
        groups.GroupPut(pb.GroupPutRequest(group=store.Group(id="node1", profile="worker", selector={"mac": MAC}, metadata=metadata)), timeout=20)
        check("IgnitionPut, GenericPut, ProfilePut and GroupPut of a small cluster succeed", True)
    except grpc.RpcError as error:
        check("IgnitionPut, GenericPut, ProfilePut and GroupPut of a small cluster succeed", False, f"{error.code()}: {error.details()}")

    ipxe = http(f"/ipxe?mac={MAC}").decode()
    check("/ipxe answers the machine with the put profile at once", "kernel /assets/vmlinuz" in ipxe and "console=ttyS0" in ipxe, ipxe)
    served = http(f"/ignition?mac={MAC}")
    rendered = subprocess.run([KILN, "render", "ignition", "--data-path", DATA, f"mac={MAC}"], capture_output=True).stdout
    check("/ignition serves the Butane template as Ignition, as kiln render gives it",
          json.loads(served) == json.loads(rendered) and b"node1.example" in served, served[:200])
    check("/generic renders the generic template", http(f"/generic?mac={MAC}") == b"role=node1.example\n")

    # terraform plan: read everything back to detect drift.
    got = profiles.ProfileGet(pb.ProfileGetRequest(id="worker"), timeout=20).profile
    check("ProfileGet returns the profile as put", got == profile, str(got))
    check("IgnitionGet returns the template's bytes", ignition.IgnitionGet(pb.IgnitionGetRequest(name="worker.yaml.tmpl"), timeout=20).config == BUTANE)
    check("GenericGet returns the template's bytes", generic.GenericGet(pb.GenericGetRequest(name="worker"), timeout=20).config == b"role={{.hostname}}\n")
    group = groups.GroupGet(pb.GroupGetRequest(id="node1"), timeout=20).group
    check("GroupGet returns the group, metadata as compact JSON",
          group.profile == "worker" and dict(group.selector) == {"mac": MAC} and json.loads(group.metadata) == {"count": 3, "hostname": "node1.example"}
          and group.metadata == b'{"count":3,"hostname":"node1.example"}', str(group))
    empty = store.Profile(id="plain")
    profiles.ProfilePut(pb.ProfilePutRequest(profile=empty), timeout=20)
    plain = profiles.ProfileGet(pb.ProfileGetRequest(id="plain"), timeout=20).profile
    check("a profile put without boot reads back with an empty boot, as the provider needs", plain.HasField("boot"), str(plain))
    check("ProfileList and GroupList list them, by id",
          [p.id for p in profiles.ProfileList(pb.ProfileListRequest(), timeout=20).profiles] == ["plain", "worker"]
          and [g.id for g in groups.GroupList(pb.GroupListRequest(), timeout=20).groups] == ["node1"])
    selected = select.SelectGroup(pb.SelectGroupRequest(labels={"mac": MAC, "uuid": "x"}), timeout=20).group
    check("SelectGroup returns the group /ipxe uses", selected.id == "node1")
    check("SelectProfile returns its profile", select.SelectProfile(pb.SelectProfileRequest(labels={"mac": MAC}), timeout=20).profile.id == "worker")
    error = error_of(lambda: select.SelectGroup(pb.SelectGroupRequest(labels={"mac": "52:54:00:00:00:99"}), timeout=20))
    check("SelectGroup with no match: NOT_FOUND, matchbox's message",
          error is not None and error.code() == grpc.StatusCode.NOT_FOUND and error.details() == "matchbox: No matching Group", str(error))
    for what, call in [("GroupGet", lambda: groups.GroupGet(pb.GroupGetRequest(id="gone"), timeout=20)),
                       ("ProfileGet", lambda: profiles.ProfileGet(pb.ProfileGetRequest(id="gone"), timeout=20)),
                       ("IgnitionGet", lambda: ignition.IgnitionGet(pb.IgnitionGetRequest(name="gone.ign"), timeout=20))]:
        error = error_of(call)
        check(f"{what} of a missing id is an error (NOT_FOUND), which the provider takes for gone",
              error is not None and error.code() == grpc.StatusCode.NOT_FOUND, str(error))

    # Refusals: nothing on disk changes.
    before = tree_digest()
    error = error_of(lambda: groups.GroupPut(pb.GroupPutRequest(group=store.Group(id="bad", profile="missing")), timeout=20))
    check("a group naming a missing profile is refused with path:line:column",
          error is not None and error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION)
          and "groups/bad.json:" in error.details() and "missing" in error.details(), str(error))
    error = error_of(lambda: ignition.IgnitionPut(pb.IgnitionPutRequest(name="worker.yaml.tmpl", config=b"variant: fcos\nversion: 1.5.0\nstorage: [\n"), timeout=20))
    check("a template that does not parse is refused with its line",
          error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT and "ignition/worker.yaml.tmpl:" in error.details(), str(error))
    error = error_of(lambda: profiles.ProfileDelete(pb.ProfileDeleteRequest(id="worker"), timeout=20))
    check("deleting a profile a group names: FAILED_PRECONDITION",
          error is not None and error.code() == grpc.StatusCode.FAILED_PRECONDITION, str(error))
    for bad in ["../escape", "a/b", ".hidden", ""]:
        error = error_of(lambda: groups.GroupPut(pb.GroupPutRequest(group=store.Group(id=bad, profile="worker")), timeout=20))
        check(f"group id {bad!r} is refused: INVALID_ARGUMENT", error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, str(error))
    error = error_of(lambda: groups.GroupPut(pb.GroupPutRequest(group=store.Group(id="meta", profile="worker", metadata=b"[1]")), timeout=20))
    check("metadata that is not a JSON object is refused", error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, str(error))
    check("after the refusals, nothing in the data directory changed", tree_digest() == before)

    # Twenty writers at once, different groups.
    def put(index):
        groups.GroupPut(pb.GroupPutRequest(group=store.Group(id=f"rack-{index:02d}", profile="worker",
                                                             selector={"mac": f"52:54:00:cc:00:{index:02x}"})), timeout=60)
        return index
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: error_of(lambda: put(i)), range(20)))
    landed = [name for name in os.listdir(os.path.join(DATA, "groups")) if name.startswith("rack-")]
    check("20 concurrent GroupPuts of different groups all land", all(r is None for r in results) and len(landed) == 20,
          f"{[str(r) for r in results if r]} {len(landed)} files")
    check("each machine of the 20 is served its group at once", b"vmlinuz" in http("/ipxe?mac=52:54:00:cc:00:13"))

    # terraform destroy.
    try:
        groups.GroupDelete(pb.GroupDeleteRequest(id="node1"), timeout=20)
        for index in range(20):
            groups.GroupDelete(pb.GroupDeleteRequest(id=f"rack-{index:02d}"), timeout=20)
        profiles.ProfileDelete(pb.ProfileDeleteRequest(id="worker"), timeout=20)
        ignition.IgnitionDelete(pb.IgnitionDeleteRequest(name="worker.yaml.tmpl"), timeout=20)
        generic.GenericDelete(pb.GenericDeleteRequest(name="worker"), timeout=20)
        check("the Deletes remove the cluster", not os.path.exists(os.path.join(DATA, "groups", "node1.json"))
              and not os.path.exists(os.path.join(DATA, "ignition", "worker.yaml.tmpl")))
    except grpc.RpcError as error:
        check("the Deletes remove the cluster", False, f"{error.code()}: {error.details()}")
    error = error_of(lambda: groups.GroupDelete(pb.GroupDeleteRequest(id="node1"), timeout=20))
    check("deleting what is gone: NOT_FOUND", error is not None and error.code() == grpc.StatusCode.NOT_FOUND, str(error))

with open(SERVE_LOG, encoding="utf-8", errors="replace") as log:
    text = log.read()
check("every write is logged with the client certificate's subject", "credential=cert:CN=terraform" in text)

# mTLS: no certificate, another CA's, an expired one.
for label, cert in [("no client certificate", None), ("a certificate from another CA", "intruder"), ("an expired certificate", "expired")]:
    with channel(cert=cert) as chan:
        error = error_of(lambda: rpc_pb2_grpc.GroupsStub(chan).GroupList(pb.GroupListRequest(), timeout=10))
    check(f"{label} is refused", error is not None and error.code() == grpc.StatusCode.UNAVAILABLE, str(error))

with open(os.environ.get("PASSED_FILE", os.devnull), "w") as handle:
    handle.write(str(passed))
print(f"python rpc checks: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
