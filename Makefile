# Kiln's set-up contract: `make run` and `make test` work on a fresh Debian 12
# machine with Swift; each target installs the apt packages it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
HTTP_ADDRESS ?= 127.0.0.1:8080
TFTP_ADDRESS ?= 127.0.0.1:6969
API_ADDRESS ?= 127.0.0.1:8081
DATA_PATH ?= profiles
ASSETS_PATH ?= assets

# zlib gzips embedded Butane contents, libarchive writes ISO images;
# SQLite keeps the inventory (GRDB links the system's); pkg-config finds them for SwiftPM.
BUILD_PACKAGES := zlib1g-dev libarchive-dev libsqlite3-dev pkg-config
RUN_PACKAGES   := $(BUILD_PACKAGES) curl ca-certificates ipxe isolinux syslinux-common
# ISO read-back: blkid (util-linux), isoinfo (genisoimage), xorriso, cloud-init's
# own readers; the network-boot CD's loaders and QEMU to boot it.
ISO_PACKAGES   := util-linux genisoimage xorriso cloud-init isolinux syslinux-common ipxe qemu-system-x86 xz-utils cpio
# etcd-server and etcd-client: the three-member cluster the store checks start (docs/scale-out.md).
TEST_PACKAGES  := $(BUILD_PACKAGES) curl ca-certificates procps python3 tftp-hpa atftp ignition etcd-server etcd-client $(ISO_PACKAGES)
# make e2e: QEMU with iPXE ROMs and OVMF (UEFI), ipxe.efi, dnsmasq as the site DHCP server, busybox and cpio for the
# guests' initramfs; the guest kernel is downloaded and unpacked by the script.
E2E_PACKAGES   := qemu-system-x86 ipxe-qemu ipxe ovmf dnsmasq-base busybox-static cpio gzip xz-utils zstd iproute2 curl python3
# make bmc-libvirt: libvirt (QEMU under software emulation) behind sushy-tools' Redfish emulator; libvirt-dev,
# pkg-config and gcc build libvirt-python for it; the guest's initramfs as for make e2e.
BMC_LIBVIRT_PACKAGES := libvirt-daemon-system libvirt-clients libvirt-dev pkg-config gcc qemu-system-x86 busybox-static cpio gzip xz-utils zstd iproute2 util-linux curl python3
BENCH_PACKAGES := $(BUILD_PACKAGES) curl wrk nginx-light procps python3 tftp-hpa atftp tftpd-hpa dnsmasq-base genisoimage xorriso util-linux xz-utils sqlite3 etcd-server
# The dashboard's browser checks: Debian's headless Chromium and its driver (fonts for
# readable screenshots); selenium from PyPI drives them.
UI_PACKAGES    := chromium chromium-driver fonts-dejavu-core fonts-liberation
# schemathesis checks the management API against its OpenAPI document.
PIP_TEST_PACKAGES := schemathesis selenium
IPXE_FILES     := undionly.kpxe undionly.kkpxe ipxe.pxe ipxe.efi snponly.efi ipxe.lkrn

# Installs whichever of the named PyPI packages cannot be imported.
define ensure_pip
	@for p in $(1); do python3 -c "import $$p" 2>/dev/null || { echo "installing $$p (pip)"; python3 -m pip install -q $$p || exit 1; }; done
endef

# Installs whichever of the named Debian packages are missing (as root, or with sudo).
define ensure_packages
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

.PHONY: help run build release test peer-checks ui-checks store-checks e2e bmc-libvirt bench assets clean

help:
	@echo "make run    - install what is missing, build, serve profiles/ and assets/ on $(HTTP_ADDRESS) (API on $(API_ADDRESS))"
	@echo "make test   - install what tests need, run swift test, the real-peer checks, the browser checks and make e2e"
	@echo "make ui-checks - the dashboard in headless Chromium (screenshots in .build/ui-screenshots/)"
	@echo "make store-checks - three Kiln replicas on a three-member etcd cluster (run by make test)"
	@echo "make e2e    - boot QEMU guests through Kiln in a network namespace (root; run by make test)"
	@echo "make bmc-libvirt - install a libvirt domain through its Redfish BMC (sushy-tools) with kiln bmc (root; run by make test)"
	@echo "make bench  - release build, wrk against Kiln and nginx, print the ratios"

# iPXE binaries come from Debian's ipxe package, copied at set-up, never committed.
assets:
	$(call ensure_packages,$(RUN_PACKAGES))
	@mkdir -p $(ASSETS_PATH)/ipxe
	@for f in $(IPXE_FILES); do \
		if [ -f /usr/lib/ipxe/$$f ] && [ ! -f $(ASSETS_PATH)/ipxe/$$f ]; then cp /usr/lib/ipxe/$$f $(ASSETS_PATH)/ipxe/; fi; \
	done

build:
	$(call ensure_packages,$(BUILD_PACKAGES))
	$(SWIFT) build --product kiln

release:
	$(call ensure_packages,$(BUILD_PACKAGES))
	$(SWIFT) build -c release --product kiln

STATE_PATH ?= $(DATA_PATH)/state
API_TOKENS ?= $(STATE_PATH)/api-tokens
API_TOKEN_FILE ?= $(STATE_PATH)/admin.token

run: assets build
	@mkdir -p $(STATE_PATH)
	@if [ ! -s $(API_TOKEN_FILE) ]; then \
		rm -f $(API_TOKENS); umask 077; \
		$$($(SWIFT) build --show-bin-path)/kiln token add admin --scope write --tokens-file $(API_TOKENS) > $(API_TOKEN_FILE) && \
		echo "created an API token for you in $(API_TOKEN_FILE) (its hash is in $(API_TOKENS))"; \
	fi
	@echo
	@echo "Kiln is starting on http://$(HTTP_ADDRESS) (TFTP on $(TFTP_ADDRESS)) with data from $(DATA_PATH)/ and assets from $(ASSETS_PATH)/. Try:"
	@echo "  curl http://$(HTTP_ADDRESS)/boot.ipxe"
	@echo "  curl 'http://$(HTTP_ADDRESS)/ipxe?mac=52-54-00-12-34-56'        # the demo machine node1"
	@echo "  curl 'http://$(HTTP_ADDRESS)/ipxe?mac=52:54:00:00:00:01'        # any other machine: the default group"
	@echo "  curl 'http://$(HTTP_ADDRESS)/ignition?mac=52:54:00:12:34:56'"
	@echo "  curl 'http://$(HTTP_ADDRESS)/metadata?mac=52:54:00:12:34:56'"
	@echo "  curl -i 'http://$(HTTP_ADDRESS)/ipxe?mac=nonsense'              # 400 with the reason"
	@echo "  curl -r 0-99 http://$(HTTP_ADDRESS)/assets/ipxe/undionly.kpxe | xxd | head -2"
	@echo "  curl -s tftp://$(TFTP_ADDRESS)/undionly.kpxe -o /tmp/undionly.kpxe  # TFTP, as a PXE ROM fetches iPXE"
	@echo "  curl -o /tmp/node1.iso 'http://$(HTTP_ADDRESS)/configdrive.iso?mac=52:54:00:12:34:56&format=cidata'"
	@echo "  curl -o /tmp/boot.iso http://$(HTTP_ADDRESS)/netboot.iso          # a CD that network-boots into Kiln"
	@echo "  $$($(SWIFT) build --show-bin-path)/kiln match --data-path $(DATA_PATH) mac=52:54:00:12:34:56"
	@echo "  $$($(SWIFT) build --show-bin-path)/kiln machines --data-path $(DATA_PATH)            # every machine that asked, and how far it got"
	@echo "  open http://$(API_ADDRESS)/ui/ and log in with the token in $(API_TOKEN_FILE)   # the dashboard"
	@echo "  curl -H \"Authorization: Bearer \$$(cat $(API_TOKEN_FILE))\" http://$(API_ADDRESS)/api/v1/machines   # the management API"
	@echo "  KILN_SERVER=http://$(API_ADDRESS) KILN_TOKEN_FILE=$(API_TOKEN_FILE) $$($(SWIFT) build --show-bin-path)/kiln assign 52:54:00:00:00:01 --profile flatcar-node1"
	@echo "  $$($(SWIFT) build --show-bin-path)/kiln dhcp explain --data-path $(DATA_PATH) --assets-path $(ASSETS_PATH) mac=52:54:00:12:34:56 arch=7   # what proxyDHCP would offer a UEFI machine"
	@echo
	exec $$($(SWIFT) build --show-bin-path)/kiln serve --data-path $(DATA_PATH) --assets-path $(ASSETS_PATH) --address $(HTTP_ADDRESS) --tftp-address $(TFTP_ADDRESS) --inventory on \
		--state-path $(STATE_PATH) --api-address $(API_ADDRESS) --api-tokens $(API_TOKENS)

test:
	$(call ensure_packages,$(TEST_PACKAGES) $(UI_PACKAGES))
	$(call ensure_pip,$(PIP_TEST_PACKAGES))
	@python3 -c "import sushy_tools" 2>/dev/null || { echo "installing sushy-tools (pip): the Redfish BMC emulator"; python3 -m pip install -q sushy-tools; }
	$(SWIFT) build --build-tests
	$(SWIFT) test
	bash scripts/peer-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"
	bash scripts/api-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"
	bash scripts/ui-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"
	bash scripts/store-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"
	@if [ ! -e /dev/net/tun ]; then echo "make e2e skipped: /dev/net/tun is missing"; \
	elif ! apt-cache show qemu-system-x86 >/dev/null 2>&1; then echo "make e2e skipped: apt cannot install qemu-system-x86"; \
	else $(MAKE) --no-print-directory e2e && $(MAKE) --no-print-directory bmc-libvirt; fi

# The rack test needs network namespaces and taps, so root (or sudo).
e2e:
	$(call ensure_packages,$(E2E_PACKAGES))
	@apt-cache depends linux-image-cloud-amd64 >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get update -qq; }
	$(SWIFT) build --product kiln
	bash scripts/e2e.sh "$$($(SWIFT) build --show-bin-path)/kiln"

# A machine only its BMC can boot: libvirt, sushy-tools and kiln bmc, in a network namespace.
bmc-libvirt:
	$(call ensure_packages,$(BMC_LIBVIRT_PACKAGES))
	@python3 -c "import libvirt" 2>/dev/null || { echo "installing libvirt-python (pip): sushy-tools' libvirt driver"; python3 -m pip install -q libvirt-python; }
	@python3 -c "import sushy_tools" 2>/dev/null || { echo "installing sushy-tools (pip): the Redfish BMC emulator"; python3 -m pip install -q sushy-tools; }
	@apt-cache depends linux-image-cloud-amd64 >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get update -qq; }
	$(SWIFT) build --product kiln
	bash scripts/bmc-libvirt.sh "$$($(SWIFT) build --show-bin-path)/kiln"

# The dashboard in headless Chromium; screenshots land in .build/ui-screenshots/.
ui-checks:
	$(call ensure_packages,$(BUILD_PACKAGES) curl python3 $(UI_PACKAGES))
	$(call ensure_pip,selenium)
	$(SWIFT) build --product kiln
	bash scripts/ui-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"

store-checks:
	$(call ensure_packages,$(BUILD_PACKAGES) curl python3 etcd-server etcd-client)
	$(SWIFT) build --product kiln
	bash scripts/store-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"

peer-checks:
	$(call ensure_packages,$(TEST_PACKAGES))
	$(call ensure_pip,$(PIP_TEST_PACKAGES))
	$(SWIFT) build --product kiln
	bash scripts/peer-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"
	bash scripts/api-checks.sh "$$($(SWIFT) build --show-bin-path)/kiln"

bench:
	$(call ensure_packages,$(BENCH_PACKAGES))
	$(SWIFT) build -c release --product kiln
	$(SWIFT) build -c release --product TFTPDecoderFuzz
	$(SWIFT) build -c release --product ConfigDriveBench
	$(SWIFT) build -c release --product DHCPFuzz
	$(SWIFT) build -c release --product InventoryStorm
	$(SWIFT) build -c release --product BootStorm
	$(SWIFT) build -c release --product HelloServers
	bash scripts/bench.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln" "$$($(SWIFT) build -c release --show-bin-path)/HelloServers"
	@echo
	python3 scripts/bench_tftp.py "$$($(SWIFT) build -c release --show-bin-path)/kiln"
	@echo
	bash scripts/bench_ignition.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln"
	@echo
	"$$($(SWIFT) build -c release --show-bin-path)/TFTPDecoderFuzz" 1000000
	@echo
	"$$($(SWIFT) build -c release --show-bin-path)/DHCPFuzz" 1000000
	@echo
	bash scripts/bench_iso.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln" "$$($(SWIFT) build -c release --show-bin-path)/ConfigDriveBench"
	@echo
	bash scripts/bench_installer.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln"
	@echo
	bash scripts/bench_inventory.sh "$$($(SWIFT) build -c release --show-bin-path)/InventoryStorm"
	@echo
	bash scripts/bench_dashboard.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln"
	@echo
	bash scripts/bench_store.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln"
	@echo
	bash scripts/bench_storm.sh "$$($(SWIFT) build -c release --show-bin-path)/kiln" "$$($(SWIFT) build -c release --show-bin-path)/BootStorm"

clean:
	rm -rf .build
