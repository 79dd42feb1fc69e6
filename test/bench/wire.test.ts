/**
 * bench/wire.ts: its rows carry the fields docs/PROTOCOLS.md's floor uses, with sane values, and a
 * TCP run whose receiving process vanishes mid-transfer fails with an error instead of hanging.
 * Behaviour only, never time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { aeadRow, tcpRow, tcpRun } from '../../bench/wire.js';

const MiB = 1 << 20;

function assertPerMib(row: Record<string, unknown>, fields: string[]): void {
  for (const f of fields) {
    const v = row[f];
    assert.type(v, 'number', `${String(row.case)}: ${f}`);
    assert.ok(Number.isFinite(v) && (v as number) > 0, `${String(row.case)}: ${f} = ${String(v)}`);
  }
}

test('tcp rows: sender, receiver and kernel CPU per MiB, the kernel part within the sum', async () => {
  for (const write of [64 * 1024, MiB]) {
    const row = await tcpRow(write, 3, 16 * MiB);
    assert.is(row.case, 'tcp');
    assert.is(row.n, write);
    assertPerMib(row, ['median_ms', 'ops_per_s', 'send_ms_per_mib', 'recv_ms_per_mib', 'cpu_ms_per_mib']);
    const sum = (row.send_ms_per_mib as number) + (row.recv_ms_per_mib as number);
    assert.ok(Math.abs((row.cpu_ms_per_mib as number) - sum) < 1e-9);
    assert.ok((row.kernel_ms_per_mib as number) >= 0);
    assert.ok((row.kernel_ms_per_mib as number) <= (row.cpu_ms_per_mib as number) + 1e-9);
  }
});

test('aead row: sealing and opening Noise records, per MiB of plaintext', () => {
  const row = aeadRow(3);
  assert.is(row.case, 'aead');
  assert.is(row.n, 65_519);
  assertPerMib(row, ['median_ms', 'ops_per_s', 'send_ms_per_mib', 'recv_ms_per_mib', 'cpu_ms_per_mib']);
});

test('a receiver that exits mid-transfer fails the run, it does not hang', async () => {
  let error: unknown;
  try {
    await tcpRun(64 * 1024, 64 * MiB, 4 * MiB);
  } catch (err) {
    error = err;
  }
  assert.instance(error, Error);
  assert.match(
    (error as Error).message,
    /^wire: (the sink process exited with code 3|the socket to the sink failed: )/,
  );
});

test.run();
