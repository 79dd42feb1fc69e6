/**
 * What the daemon's HTTP listeners (the control API, the metrics port) share: they listen on
 * 127.0.0.1 only, bound how long receiving a request's headers may take, and keep their sockets so
 * that closing can cut the connections a client leaves open.
 */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The open sockets of `server`, kept up to date; a request's headers must arrive within 10 s. */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.headersTimeout = 10_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Listens on 127.0.0.1:`port` (0 picks a free port); resolves with the port. */
export async function listenLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return loopbackPort(server, 'the server');
}

/** The port `server` listens on; `what` names it in the error when it does not listen. */
export function loopbackPort(server: Server, what: string): number {
  const addr = server.address() as AddressInfo | null;
  if (addr === null) throw new Error(`${what} is not listening`);
  return addr.port;
}
