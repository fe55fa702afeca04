// wasi:sockets@0.2.x, deny-all: no network is ever granted in this phase, so every socket
// creation fails with `access-denied`. Provided because toolchains (Rust std on wasm32-wasip2,
// the preview1 adapter) import these interfaces even when the program never opens a socket.

/** `wasi:sockets/network.error-code` value for every denied operation. */
const denied = 'access-denied';

function deny(): never {
  throw denied;
}

class Network {}
class TcpSocket {}
class UdpSocket {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}
class ResolveAddressStream {}

/** Builds the `wasi:sockets/*` interface objects for one instance (all access denied). */
export function createSockets(): Record<string, object> {
  return {
    network: { Network },
    'instance-network': { instanceNetwork: (): Network => new Network() },
    'tcp-create-socket': { createTcpSocket: deny },
    tcp: { TcpSocket },
    'udp-create-socket': { createUdpSocket: deny },
    udp: { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'ip-name-lookup': { resolveAddresses: deny, ResolveAddressStream },
  };
}
