/**
 * The seeded dealer of the `additive` protocol: CrypTen's trusted first party / TTP provider
 * (Knott et al. 2021) and SPDZ-style seed compression.
 *
 * Steps, for one batch of correlations dealt at step s (the step of the round that consumes them):
 * 1. The dealer D shares a PRG seed with every compute party P_i (session.pairPrg).
 * 2. Every P_i draws its summands of the free (uniform) parts from its seed; every P_i but the
 *    correction party K (the last compute party) then also draws its summands of the fixed parts
 *    (per seed: the free parts of every correlation of the batch in order, then the fixed parts).
 * 3. D draws the same summands for every P_i, sums them to the free totals, derives the fixed
 *    totals (c = a·b, r' = r >> d, ...) and sends K, at step s, the only message of the batch:
 *    K's fixed summands (total minus, or XOR of, everyone else's), all parts concatenated.
 * In a deal D only sends, so it sees no data and no masked value (it receives only a value a program
 * explicitly reveals to it). Any coalition of compute
 * parties that excludes D sees only PRG output of seeds it does not hold, or values masked by it.
 * Dealer traffic: 8 bytes per fixed word, one message to K per batch; no other party hears from D.
 */
import { RingTensor, kernel, sizeOf, type Prg } from '../../tensor/index.js';
import type { Session } from '../session.js';
import { correctionWords, type CorrelationSpec } from './correlations.js';
import type { ScratchPool } from './pool.js';
import { wordBytes } from '../wire.js';
import { recvWords } from './wire.js';
import { largeWords } from '../../util/large-buffers.js';

/** One party's summands of one correlation. */
export interface Summands {
  /** The free parts, in spec order. */
  readonly free: RingTensor[];
  /** The fixed parts, in spec order. */
  readonly fixed: RingTensor[];
}

/**
 * What a party gets from one batch: its summands once the dealer's correction (if it is K) arrived.
 * `free` is available at once (for K too), so K can send its masked values before it waits.
 */
export interface Dealt {
  /** Free summands per correlation, available at once (empty arrays on the dealer). */
  readonly free: RingTensor[][];
  /** All summands per correlation; on the dealer it resolves (to []) once its message is sent. */
  readonly ready: Promise<Summands[]>;
  /** Gives the free summands' buffers back to the pool: call once they are no longer used. */
  release(): void;
}

/** Serves correlated randomness to one party of a session, dealer or compute party. */
export class SeededDealer {
  private readonly prgs = new Map<number, Prg>();
  private readonly own: Prg | undefined;
  private scratch: BigUint64Array = new BigUint64Array(0);
  /** The compute party that receives the dealer's corrections. */
  readonly correctionParty: number;

  constructor(
    private readonly session: Session,
    private readonly computeParties: readonly number[],
    /** The session index of the dealer. */
    readonly dealer: number,
    pairPrg: (peer: number) => Prg,
    private readonly pool: ScratchPool,
  ) {
    this.correctionParty = computeParties[computeParties.length - 1]!;
    if (session.self === dealer) {
      for (const p of computeParties) this.prgs.set(p, pairPrg(p));
      this.own = session.ownPrg();
    } else if (computeParties.includes(session.self)) {
      this.prgs.set(dealer, pairPrg(dealer));
    }
  }

  /** Deals `specs` for `step`: see the module comment. Parties other than D and compute parties get nothing. */
  deal(step: number, specs: readonly CorrelationSpec[]): Dealt {
    const self = this.session.self;
    if (self === this.dealer) return this.produce(step, specs);
    const prg = this.prgs.get(this.dealer);
    if (prg === undefined) return { free: [], ready: Promise.resolve([]), release: () => undefined };
    const free = specs.map((s) =>
      s.free.map((p) => {
        const t = new RingTensor(p.shape, this.pool.take(sizeOf(p.shape)));
        prg.fillWords(t.data);
        return t;
      }),
    );
    const release = (): void => this.pool.give(...free.flat().map((t) => t.data));
    if (self !== this.correctionParty) {
      const all = specs.map((s, i) => ({ free: free[i]!, fixed: s.fixed.map((p) => prg.ring(p.shape)) }));
      return { free, ready: Promise.resolve(all), release };
    }
    const ready = recvWords(this.session, this.dealer, step, correctionWords(specs)).then((words) => {
      let off = 0;
      return specs.map((s, i) => ({
        free: free[i]!,
        fixed: s.fixed.map((p) => {
          const t = new RingTensor(p.shape, words.subarray(off, off + sizeOf(p.shape)));
          off += t.size;
          return t;
        }),
      }));
    });
    ready.catch(() => undefined); // awaited by the op; this only marks it handled meanwhile
    return { free, ready, release };
  }

  /** The dealer's scratch words, grown to at least `n`. */
  private arena(n: number): BigUint64Array {
    if (this.scratch.length < n) this.scratch = kernel().alloc(n);
    return this.scratch;
  }

  private produce(step: number, specs: readonly CorrelationSpec[]): Dealt {
    const k = this.correctionParty;
    // Temporaries (the free totals and every draw that is folded into a total) live in a scratch
    // buffer reused across batches: this method does not await, and only the corrections, which
    // `derive` allocates, leave it.
    let need = 0;
    let largest = 0;
    for (const spec of specs) {
      for (const part of spec.free) need += sizeOf(part.shape);
      for (const part of [...spec.free, ...spec.fixed]) largest = Math.max(largest, sizeOf(part.shape));
    }
    const arena = this.arena(need + largest);
    const draw = new RingTensor([largest], arena.subarray(need, need + largest));
    let off = 0;
    const totals = specs.map((spec) =>
      spec.free.map((part) => {
        const t = new RingTensor(part.shape, arena.subarray(off, off + sizeOf(part.shape)));
        off += t.size;
        return t;
      }),
    );
    // Per party the order is the one `deal` uses: the free parts of every spec, then the fixed parts.
    this.computeParties.forEach((p, idx) => {
      const prg = this.prgs.get(p)!;
      specs.forEach((spec, i) =>
        spec.free.forEach((part, j) => {
          const acc = totals[i]![j]!;
          if (idx === 0) return prg.fillWords(acc.data);
          const t = draw.data.subarray(0, acc.size);
          prg.fillWords(t);
          const tt = new RingTensor(part.shape, t);
          if (part.xor) acc.xor(tt, acc);
          else acc.add(tt, acc);
        }),
      );
    });
    const corrections = specs.map((spec, i) => spec.derive(totals[i]!, this.own!));
    for (const p of this.computeParties) {
      if (p === k) continue;
      const prg = this.prgs.get(p)!;
      specs.forEach((spec, i) =>
        spec.fixed.forEach((part, j) => {
          const acc = corrections[i]![j]!;
          const t = new RingTensor(part.shape, draw.data.subarray(0, acc.size));
          prg.fillWords(t.data);
          if (part.xor) acc.xor(t, acc);
          else acc.sub(t, acc);
        }),
      );
    }
    const flat = corrections.flat();
    const payload = flat.length === 1 ? flat[0]!.data : concatWords(flat);
    const ready = this.session.send(k, step, wordBytes(payload)).then(() => []);
    ready.catch(() => undefined); // awaited by the op; this only marks it handled meanwhile
    return { free: [], ready, release: () => undefined };
  }
}

function concatWords(ts: readonly RingTensor[]): BigUint64Array {
  let n = 0;
  for (const t of ts) n += t.size;
  const out = largeWords(n);
  let off = 0;
  for (const t of ts) {
    out.set(t.data, off);
    off += t.size;
  }
  return out;
}
