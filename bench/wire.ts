/**
 * `npm run bench -- net wire`: what moving a byte between two parties costs at least on this
 * machine, below peermpc and libp2p: CPU per MiB of loopback TCP between two processes, and of
 * Noise's cipher. With the bytes a case moves and the CPU it takes in one process (its `memory`
 * row), these bound from below what the case can take over libp2p-tcp (docs/PROTOCOLS.md, "The
 * floor").
 *
 * Rows:
 * - `tcp` (n = write size in bytes): 256 MiB from this process to a child process through one
 *   loopback socket (TCP_NODELAY, plain Node sockets, no libp2p), written in n-byte writes (64 KiB:
 *   a Noise record's size; 1 MiB); `send_ms_per_mib` and `recv_ms_per_mib` are the CPU time (user +
 *   system) of sender and receiver per MiB, `cpu_ms_per_mib` their sum, `kernel_ms_per_mib` the
 *   system time of that sum (the kernel's TCP, whatever the program above it), ops_per_s bytes per
 *   second.
 * - `aead` (n = 65,519: a full Noise record's plaintext): ChaCha20-Poly1305 seal and open through
 *   the crypto Noise uses here (src/node/noise-crypto.ts); `send_ms_per_mib` is sealing,
 *   `recv_ms_per_mib` opening, per MiB of plaintext, in this process (one thread: its wall time
 *   is its CPU time).
 * Medians over `--runs` (at least 3).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { fastNoiseCrypto, noiseCryptoName } from '../src/node/noise-crypto.js';
import { median, progress, type Row } from './harness.js';

const MiB = 1 << 20;
/** Bytes moved per TCP run. */
const TCP_BYTES = 256 * MiB;
/** Plaintext bytes of a full Noise record (65,535 minus the 16-byte tag). */
const RECORD = 65_519;
/** Records sealed and opened per cipher run (64 MiB). */
const RECORDS = 1024;

/** CPU time (ms): all, and the kernel's part (system time). */
export interface Cpu {
  cpuMs: number;
  sysMs: number;
}

/** CPU this process has used since `since` (all its threads). */
function cpuSince(since?: NodeJS.CpuUsage): Cpu {
  const c = process.cpuUsage(since);
  return { cpuMs: (c.user + c.system) / 1000, sysMs: c.system / 1000 };
}

/**
 * One TCP run: sender CPU, receiver CPU and wall time (ms) for `bytes` in `write`-byte writes.
 * Rejects if the sink process exits or the socket fails before the receiver has every byte;
 * `sinkVanishesAfter` (tests) makes the sink exit after reading that many bytes.
 */
export async function tcpRun(
  write: number,
  bytes: number,
  sinkVanishesAfter?: number,
): Promise<{ send: Cpu; recv: Cpu; ms: number }> {
  const args = [String(bytes), ...(sinkVanishesAfter === undefined ? [] : [String(sinkVanishesAfter)])];
  const sink = fork(fileURLToPath(new URL('./wire-sink.ts', import.meta.url)), args, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const socket = new net.Socket();
  // rejects when the sink exits or the socket fails, whichever first; every wait races it
  const failed = new Promise<never>((_, reject) => {
    sink.once('exit', (code) => reject(new Error(`wire: the sink process exited with code ${code}`)));
    socket.on('error', (err) => reject(new Error(`wire: the socket to the sink failed: ${err.message}`)));
  });
  failed.catch(() => {}); // raced below; unobserved until then
  const orFail = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
  try {
    const [{ port }] = (await orFail(once(sink, 'message'))) as [{ port: number }];
    const report = once(sink, 'message'); // before the first byte: the sink answers at the last
    report.catch(() => {}); // awaited below, unless the run fails first
    await orFail(new Promise<void>((r) => socket.connect({ port, host: '127.0.0.1', noDelay: true }, r)));
    const chunk = Buffer.alloc(write, 7);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let sent = 0; sent < bytes; sent += write) {
      if (!socket.write(chunk)) await orFail(once(socket, 'drain'));
    }
    const send = cpuSince(c0);
    const [recv] = (await orFail(report)) as [Cpu];
    return { send, recv, ms: performance.now() - t0 };
  } finally {
    socket.destroy();
    sink.kill();
  }
}

/** A `tcp` row: `runs` runs of `bytes` (default 256 MiB) in `write`-byte writes. */
export async function tcpRow(write: number, runs: number, bytes = TCP_BYTES): Promise<Row> {
  progress(`net: loopback TCP between two processes, ${write}-byte writes`);
  const r: { send: Cpu; recv: Cpu; ms: number }[] = [];
  for (let i = 0; i < runs; i++) r.push(await tcpRun(write, bytes));
  const mib = bytes / MiB;
  const perMib = (f: (x: (typeof r)[number]) => number): number => median(r.map(f)) / mib;
  const times = r.map((x) => x.ms);
  const send = perMib((x) => x.send.cpuMs);
  const recv = perMib((x) => x.recv.cpuMs);
  return {
    suite: 'net',
    case: 'tcp',
    n: write,
    transport: 'loopback',
    median_ms: median(times),
    ops_per_s: bytes / (median(times) / 1000),
    send_ms_per_mib: send,
    recv_ms_per_mib: recv,
    cpu_ms_per_mib: send + recv,
    kernel_ms_per_mib: perMib((x) => x.send.sysMs) + perMib((x) => x.recv.sysMs),
  };
}

/** The `aead` row: `runs` runs of sealing and opening 1,024 full Noise records. */
export function aeadRow(runs: number): Row {
  progress(`net: Noise's ChaCha20-Poly1305 (${noiseCryptoName()})`);
  const crypto = fastNoiseCrypto();
  if (crypto === undefined) throw new Error('wire: the native Noise crypto is not available here');
  const key = randomBytes(32);
  const nonce = new Uint8Array(12);
  const ad = new Uint8Array(0);
  const plain = randomBytes(RECORD);
  const seals: number[] = [];
  const opens: number[] = [];
  for (let i = 0; i < runs; i++) {
    // record by record, as a connection seals and opens them (the outputs are let go at once)
    let seal = 0;
    let open = 0;
    for (let r = 0; r < RECORDS; r++) {
      const t0 = performance.now();
      const sealed = crypto.chaCha20Poly1305Encrypt(plain, nonce, ad, key).subarray();
      const t1 = performance.now();
      crypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, key);
      open += performance.now() - t1;
      seal += t1 - t0;
    }
    seals.push(seal);
    opens.push(open);
  }
  const mib = (RECORD * RECORDS) / MiB;
  const send = median(seals) / mib;
  const recv = median(opens) / mib;
  return {
    suite: 'net',
    case: 'aead',
    n: RECORD,
    transport: 'in-process',
    median_ms: median(seals) + median(opens),
    ops_per_s: (RECORD * RECORDS) / ((median(seals) + median(opens)) / 1000),
    send_ms_per_mib: send,
    recv_ms_per_mib: recv,
    cpu_ms_per_mib: send + recv,
  };
}

/** The `wire` rows: loopback TCP at 64 KiB and 1 MiB writes, and Noise's cipher. */
export async function wireRows(runs: number): Promise<Row[]> {
  const n = Math.max(3, runs);
  return [await tcpRow(64 * 1024, n), await tcpRow(MiB, n), aeadRow(n)];
}
