import Hummingbird; import Prometheus; import ServiceLifecycle; import UnixSignals; public enum P2 {}
