/**
 * Calls between threads (src/sim/rpc.ts) over a MessageChannel: values and errors cross (name and
 * message kept), an unknown method or an inherited name is refused, a method that throws at once
 * is an error reply; after the other side ends, every call fails at once instead of waiting.
 */
import { MessageChannel } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RemoteError, RpcClient, serveRpc } from '../../src/sim/rpc.js';

function pair(): { client: RpcClient; close: () => void } {
  const { port1, port2 } = new MessageChannel();
  serveRpc(port2, {
    add: async (a: number, b: number) => a + b,
    fail: async () => {
      throw new RangeError('too far');
    },
    throwsAtOnce: (() => {
      throw new TypeError('sync');
    }) as unknown as () => Promise<unknown>,
  });
  return {
    client: new RpcClient(port1),
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

test('values and errors cross; unknown and inherited names are refused', async () => {
  const { client, close } = pair();
  assert.is(await client.call<number>('add', 2, 3), 5);
  const err = await rejected(client.call('fail'));
  assert.instance(err, RemoteError);
  assert.is(err.name, 'RangeError');
  assert.is(err.message, 'too far');
  assert.is((await rejected(client.call('throwsAtOnce'))).name, 'TypeError');
  assert.match((await rejected(client.call('nope'))).message, /no method nope/);
  assert.match((await rejected(client.call('toString'))).message, /no method toString/);
  assert.match((await rejected(client.call('add', () => 1))).name, /DataCloneError/);
  close();
});

test('after the other thread ends, waiting and later calls fail at once', async () => {
  const { client, close } = pair();
  const waiting = client.call('add', 1, 1);
  client.failAll(new Error('a simulation worker exited (code 1)'));
  assert.match((await rejected(waiting)).message, /exited/);
  assert.match((await rejected(client.call('add', 1, 1))).message, /exited/);
  close();
});

test.run();
