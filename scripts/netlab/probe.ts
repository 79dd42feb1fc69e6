/**
 * The NAT checks' helper, an agent running inside one lab namespace (`node --import tsx
 * probe.ts`), plain node:net, no packages. One per host, so a run starts a handful of processes
 * rather than one per probe. It reads requests as JSON lines on stdin, `{"id","mode","request"}`,
 * runs them concurrently, and answers each with a JSON line `{"id","result"}` (or `{"id","error"}`)
 * on stdout. It exits when stdin ends.
 *
 * Modes (the request and result types are in probe-protocol.ts):
 * - `serve` (ServeRequest): a "what is my address" TCP server on each port: it writes
 *   `{"ip","port"}` (the peer's address as this host sees it); the client closes. Answers once it
 *   listens.
 * - `whoami` (WhoamiRequest): connects from one local port to each target in turn (keeping the
 *   earlier connections open, so each mapping is live), answers what each server saw, then holds
 *   the connections `holdMs` longer.
 * - `dial` (DialRequest): one connection attempt: `connected`, `refused` (an RST came back),
 *   `unreachable` (ICMP) or `timeout` (nothing came back: dropped).
 * - `punch` (PunchRequest): at `startAt`, connects from a local port to a peer's public ip:port
 *   with no listener, while the peer does the same the other way: a TCP simultaneous open. Both
 *   send a hello line; `connected` means this side read the other's.
 */
import net from 'node:net';

import type {
  DialOutcome,
  ProbeAnswer,
  ProbeCall,
  ProbeMode,
  DialRequest,
  DialResult,
  Endpoint,
  PunchRequest,
  PunchResult,
  Seen,
  ServeRequest,
  ServeResult,
  WhoamiRequest,
  WhoamiResult,
} from './probe-protocol.js';

/** An IPv4-mapped address without its `::ffff:`. */
const plain = (ip: string | undefined): string | undefined => ip?.replace(/^::ffff:/, '');

function outcomeOf(err: NodeJS.ErrnoException): DialOutcome {
  if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET') return 'refused';
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return 'unreachable';
  return 'error';
}

/** Servers and held sockets, closed when stdin ends. */
const servers: net.Server[] = [];
const held = new Set<net.Socket>();

function serve(req: ServeRequest): Promise<ServeResult> {
  return Promise.all(req.ports.map((port) => listen(port))).then(() => ({ listening: req.ports }));
}

function listen(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      // the client closes: its connection (and its NAT mapping) stays up while it holds it
      socket.write(`${JSON.stringify({ ip: plain(socket.remoteAddress), port: socket.remotePort })}\n`);
    });
    servers.push(server);
    server.once('error', reject);
    server.listen({ port, host: '0.0.0.0' }, () => resolve());
  });
}

function ask(target: Endpoint, localPort: number, timeoutMs: number, open: net.Socket[]): Promise<Seen> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port, localPort });
    open.push(socket);
    held.add(socket);
    let data = '';
    const timer = setTimeout(() => finish({ target, error: 'timeout' }), timeoutMs);
    const finish = (seen: Seen): void => {
      clearTimeout(timer);
      resolve(seen);
    };
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const line = data.split('\n')[0];
      if (data.includes('\n') && line !== undefined) {
        const { ip, port } = JSON.parse(line) as { ip: string; port: number };
        finish({ target, ip, port });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ target, error: err.code ?? err.message }));
  });
}

async function whoami(req: WhoamiRequest): Promise<WhoamiResult> {
  const open: net.Socket[] = [];
  const seen: Seen[] = [];
  for (const target of req.targets) seen.push(await ask(target, req.localPort, req.timeoutMs, open));
  setTimeout(() => {
    for (const s of open) {
      s.destroy();
      held.delete(s);
    }
  }, req.holdMs ?? 0);
  return { seen };
}

function dial(req: DialRequest): Promise<DialResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: req.host, port: req.port });
    const done = (outcome: DialOutcome, code?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, ...(code ? { code } : {}), elapsedMs: Date.now() - t0 });
    };
    const timer = setTimeout(() => done('timeout'), req.timeoutMs);
    socket.on('connect', () => done('connected'));
    socket.on('error', (err: NodeJS.ErrnoException) => done(outcomeOf(err), err.code));
  });
}

async function punch(req: PunchRequest): Promise<PunchResult> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, req.startAt - Date.now())));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: req.host, port: req.port, localPort: req.localPort });
    let data = '';
    const done = (result: Omit<PunchResult, 'elapsedMs'>): void => {
      clearTimeout(timer);
      // let our hello reach the peer before closing
      setTimeout(() => socket.destroy(), 500);
      resolve({ ...result, elapsedMs: Date.now() - t0 });
    };
    const timer = setTimeout(() => done({ outcome: 'timeout' }), req.timeoutMs);
    socket.on('connect', () => socket.write(`${req.hello}\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const line = data.split('\n')[0];
      if (data.includes('\n') && line !== undefined) done({ outcome: 'connected', peerSaid: line });
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done({ outcome: outcomeOf(err), code: err.code ?? '' }),
    );
  });
}

async function handle(mode: ProbeMode, request: unknown): Promise<unknown> {
  if (mode === 'serve') return serve(request as ServeRequest);
  if (mode === 'whoami') return whoami(request as WhoamiRequest);
  if (mode === 'dial') return dial(request as DialRequest);
  if (mode === 'punch') return punch(request as PunchRequest);
  throw new Error(`unknown mode '${String(mode)}' (serve, whoami, dial, punch)`);
}

const answer = (value: ProbeAnswer): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

let input = '';
process.stdin.on('data', (chunk: Buffer) => {
  input += chunk.toString();
  let nl: number;
  while ((nl = input.indexOf('\n')) >= 0) {
    const { id, mode, request } = JSON.parse(input.slice(0, nl)) as ProbeCall;
    input = input.slice(nl + 1);
    handle(mode, request).then(
      (result) => answer({ id, result }),
      (err: unknown) => answer({ id, error: err instanceof Error ? err.message : String(err) }),
    );
  }
});
process.stdin.on('end', () => {
  for (const s of servers) s.close();
  for (const s of held) s.destroy();
  setTimeout(() => process.exit(0), 600).unref(); // punches close their sockets 500 ms after the result
});
answer({ id: 0, result: { ready: true } });
