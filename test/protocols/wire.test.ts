/** Payload helpers: a payload never aliases WebAssembly-resident words that may be freed and reused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { availableKernels, kernel, RingTensor, setKernel } from '../../src/tensor/index.js';
import { payloadWords, wordBytes } from '../../src/protocols/wire.js';
import { LARGE_BUFFER_MIN_BYTES } from '../../src/util/large-buffers.js';

test('a payload of resident words owns its bytes (the block may be reused after the tensor is collected)', () => {
  if (!availableKernels().includes('wasm')) {
    assert.ok(process.env.PEERMPC_REQUIRE_WASM === undefined, 'wasm kernel required but not built');
    return;
  }
  setKernel('wasm');
  const t = RingTensor.fill([4], 42n);
  assert.ok(t.data.buffer instanceof SharedArrayBuffer, 'wasm tensors are resident');
  const bytes = wordBytes(t.data);
  assert.not.ok(bytes.buffer instanceof SharedArrayBuffer);
  t.data.fill(7n); // the block being reused
  assert.equal(Array.from(payloadWords(bytes, 4, 0, 0)), [42n, 42n, 42n, 42n]);
});

test('a payload of ordinary words is a view (no copy on the hot path)', () => {
  setKernel('reference');
  const t = RingTensor.fill([3], 5n);
  const bytes = wordBytes(t.data);
  assert.is(bytes.buffer, t.data.buffer);
  assert.throws(() => payloadWords(bytes, 4, 2, 9), /party 2 sent 24 bytes for step 9, expected 32/);
});

test("large words are outside V8's external-memory count and still sent as a view", () => {
  const previous = kernel().name;
  setKernel('reference');
  const t = RingTensor.fill([LARGE_BUFFER_MIN_BYTES / 8], 3n);
  assert.ok(t.data.buffer instanceof SharedArrayBuffer, 'util/large-buffers.ts allocated it');
  const bytes = wordBytes(t.data);
  assert.is(bytes.buffer, t.data.buffer);
  assert.is(payloadWords(bytes, t.size, 0, 0)[7], 3n);
  setKernel(previous);
});

test.run();
