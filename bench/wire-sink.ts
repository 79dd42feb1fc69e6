/**
 * The receiving process of bench/wire.ts's TCP rows: `wire-sink.ts <bytes> [vanishAfter]` listens
 * on 127.0.0.1, sends its port to the parent ({port}), reads `bytes` bytes from the one connection
 * it accepts, sends the CPU time (ms) it spent from the first byte on ({cpuMs: user + system,
 * sysMs}) and exits. With `vanishAfter` (tests) it exits with code 3 once it has read that many
 * bytes, as a receiver that dies mid-transfer.
 */
import net from 'node:net';

const total = Number(process.argv[2]);
const vanishAfter = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);
if (!Number.isSafeInteger(total) || total <= 0 || !(vanishAfter >= 0) || process.send === undefined) {
  throw new Error('usage: forked with the byte count to read [and the count after which to exit]');
}
const send = process.send.bind(process);

const server = net.createServer((socket) => {
  let got = 0;
  let c0: NodeJS.CpuUsage | undefined;
  socket.on('data', (chunk: Buffer) => {
    c0 ??= process.cpuUsage();
    got += chunk.length;
    if (got >= vanishAfter) process.exit(3);
    if (got < total) return;
    const c = process.cpuUsage(c0);
    send({ cpuMs: (c.user + c.system) / 1000, sysMs: c.system / 1000 }, () => process.exit(0));
  });
});
server.listen(0, '127.0.0.1', () => send({ port: (server.address() as net.AddressInfo).port }));
