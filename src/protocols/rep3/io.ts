/**
 * rep3 input and reveal (ABY3 §2.2 sharing and opening, with PRG-derived components).
 *
 * input, 1 round. An owner that is the compute party of role o: x_{o-1} is drawn from K_{o-1}
 * (held by roles o-1 and o), x_o from K_o (roles o and o+1), and the owner sends
 * x_{o+1} = v - x_o - x_{o-1} to the two other roles (2n words). An owner that is not a compute
 * party draws two fresh 16-byte seeds s_0, s_1, sets x_0 = PRG(s_0), x_1 = PRG(s_1),
 * x_2 = v - x_0 - x_1 and sends (s_0, x_2) to role 0, (s_1, s_0) to role 1 and (x_2, s_1) to role 2:
 * 2n words + 64 bytes. Every compute party receives components that are uniformly random on
 * their own: the one value-dependent component is masked by a PRG output it cannot compute.
 *
 * reveal(x, to), 1 round: a compute recipient of role q misses x_{q+1}, which role q+1 sends (its
 * `cur`): that component is v - x_q - x_{q-1}, a function of the value and of what q holds, so it
 * tells q nothing more. A recipient that is not a compute party gets x_r + alpha_r from every role
 * r, alpha a fresh zero sharing (K_r - K_{r-1}, or XOR for B shares) drawn for that recipient: the
 * three messages are uniformly random subject to summing to the value, whatever the components
 * (a share made by local ops, e.g. from a public value or the summands of a2b, has structured
 * components that would otherwise show). Parties not in `to` receive nothing. Every PRG draw
 * happens at call time, before the first await.
 */
import { kernel, Prg, RingTensor, SEED_BYTES, sizeOf, type Shape } from '../../tensor/index.js';
import { checkParty, checkRecipients, ProtocolUsageError } from '../protocol.js';
import { payloadTensor, payloadWords, wordBytes } from '../wire.js';
import { Rep3Share, type Rep3Context } from './context.js';
import { largeBytes } from '../../util/large-buffers.js';

/** Party `owner` secret-shares `value` (given on the owner) as an A share (1 round). */
export async function input(
  ctx: Rep3Context,
  owner: number,
  value: RingTensor | undefined,
  shape: Shape,
): Promise<Rep3Share> {
  const s = ctx.session;
  checkParty(s.parties, owner, 'input: owner');
  const n = sizeOf(shape);
  const step = ctx.step();
  if (s.self === owner && (value === undefined || value.size !== n)) {
    throw new ProtocolUsageError(`input: the owner's value does not have shape [${shape.join(',')}]`);
  }
  const ownerRole = ctx.parties.indexOf(owner);
  const k = kernel();
  if (ownerRole >= 0) {
    if (!ctx.compute) return new Rep3Share(shape, 'A');
    if (ctx.role === ownerRole) {
      const a = new RingTensor(shape); // x_{o-1}
      const b = new RingTensor(shape); // x_o
      ctx.kPrev().fillWords(a.data);
      ctx.kNext().fillWords(b.data);
      const c = new RingTensor(shape);
      k.sub(value!.data, a.data, c.data);
      k.sub(c.data, b.data, c.data);
      const bytes = wordBytes(c.data);
      await Promise.all([s.send(ctx.next, step, bytes), s.send(ctx.prev, step, bytes)]);
      return new Rep3Share(shape, 'A', b, a);
    }
    // the PRG words are drawn now, before the await: inputs launched together stay in step
    const mine = new RingTensor(shape);
    const afterOwner = ctx.role === (ownerRole + 1) % 3;
    if (afterOwner)
      ctx.kPrev().fillWords(mine.data); // x_o from K_o
    else ctx.kNext().fillWords(mine.data); // x_{o-1} from K_{o-1}
    const received = payloadTensor(await s.recv(owner, step), shape, owner, step);
    return afterOwner ? new Rep3Share(shape, 'A', received, mine) : new Rep3Share(shape, 'A', mine, received);
  }
  if (s.self === owner) {
    const seeds = s.ownPrg().bytes(2 * SEED_BYTES);
    const s0 = seeds.subarray(0, SEED_BYTES);
    const s1 = seeds.subarray(SEED_BYTES);
    const msg = largeBytes(SEED_BYTES + 8 * n);
    const x2 = new BigUint64Array(msg.buffer, SEED_BYTES, n);
    new Prg(s0).fillWords(x2);
    const t = k.alloc(n);
    new Prg(s1).fillWords(t);
    k.add(x2, t, x2);
    k.sub(value!.data, x2, x2);
    msg.set(s0, 0);
    const [p0, p1, p2] = ctx.parties;
    const toP2 = largeBytes(SEED_BYTES + 8 * n);
    toP2.set(msg.subarray(SEED_BYTES), 0);
    toP2.set(s1, 8 * n);
    await Promise.all([s.send(p0, step, msg), s.send(p1, step, concatBytes(s1, s0)), s.send(p2, step, toP2)]);
    return new Rep3Share(shape, 'A');
  }
  if (!ctx.compute) return new Rep3Share(shape, 'A');
  const payload = await s.recv(owner, step);
  const seeded = (seed: Uint8Array): RingTensor => {
    const t = new RingTensor(shape);
    new Prg(seed).fillWords(t.data);
    return t;
  };
  const expect = ctx.role === 1 ? 2 * SEED_BYTES : SEED_BYTES + 8 * n;
  if (payload.byteLength !== expect)
    throw new RangeError(
      `party ${owner} sent ${payload.byteLength} bytes for input step ${step}, expected ${expect}`,
    );
  if (ctx.role === 1)
    return new Rep3Share(
      shape,
      'A',
      seeded(payload.subarray(0, SEED_BYTES)),
      seeded(payload.subarray(SEED_BYTES)),
    );
  if (ctx.role === 0) {
    const x2 = new RingTensor(shape, payloadWords(payload.subarray(SEED_BYTES), n, owner, step).slice());
    return new Rep3Share(shape, 'A', seeded(payload.subarray(0, SEED_BYTES)), x2);
  }
  const x2 = new RingTensor(shape, payloadWords(payload.subarray(0, 8 * n), n, owner, step).slice());
  return new Rep3Share(shape, 'A', x2, seeded(payload.subarray(8 * n)));
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = largeBytes(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Opens `x` to the parties in `to` only (1 round). */
export async function reveal(
  ctx: Rep3Context,
  x: Rep3Share,
  to: readonly number[],
): Promise<RingTensor | undefined> {
  const s = ctx.session;
  checkRecipients(s.parties, to);
  const recips = to;
  const step = ctx.step();
  const boolean = x.kind === 'B';
  const k = kernel();
  const sends: Promise<void>[] = [];
  if (ctx.compute) {
    const [cur] = ctx.parts(x, 'reveal');
    for (const t of recips) {
      if (t === ctx.prev) sends.push(s.send(t, step, wordBytes(cur.data)));
      else if (!ctx.parties.includes(t))
        sends.push(s.send(t, step, wordBytes(rerandomised(ctx, cur, boolean))));
    }
  }
  if (!recips.includes(s.self)) {
    await Promise.all(sends);
    return undefined;
  }
  const from = ctx.compute ? [ctx.next] : [...ctx.parties];
  const [, payloads] = await Promise.all([Promise.all(sends), Promise.all(from.map((p) => s.recv(p, step)))]);
  const out = new RingTensor(x.shape);
  const combine = (a: BigUint64Array): void =>
    boolean ? k.xor(out.data, a, out.data) : k.add(out.data, a, out.data);
  if (ctx.compute) {
    const [cur, prev] = ctx.parts(x, 'reveal');
    combine(cur.data);
    combine(prev.data);
  }
  payloads.forEach((p, i) => combine(payloadWords(p, out.size, from[i]!, step)));
  return out;
}

/** x_r plus a fresh zero share (arithmetic or boolean), for a recipient outside the compute parties. */
function rerandomised(ctx: Rep3Context, cur: RingTensor, boolean: boolean): BigUint64Array {
  const out = kernel().alloc(cur.size);
  if (boolean) {
    ctx.zeroB(out);
    kernel().xor(out, cur.data, out);
  } else {
    ctx.zeroA(out);
    kernel().add(out, cur.data, out);
  }
  return out;
}
