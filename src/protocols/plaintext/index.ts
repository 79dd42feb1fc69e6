/**
 * The plaintext reference protocol: a "share" is the value itself, held in the clear by every
 * compute party (default: party 0 alone). It has no security at all; it exists to define the
 * expected behaviour of every primitive and to pass the conformance suite first.
 *
 * Steps: input = the owner sends the value to each compute party that is not itself (1 round);
 * reveal = the first compute party sends the value to each recipient that holds no copy (1 round);
 * every other primitive is local (0 rounds, 0 bytes). Truncation is exact: an arithmetic shift,
 * i.e. floor(x / 2^bits) on the signed value. a2b is the identity, bitToA takes bit 0.
 */
import type { Conv2dGeometry, RingTensor, Shape } from '../../tensor/index.js';
import { RingTensor as RT } from '../../tensor/index.js';
import {
  checkParty,
  checkRecipients,
  checkTruncation,
  ProtocolUsageError,
  type Cost,
  type CostedPrimitive,
  type CostExtra,
  type Protocol,
  type Share,
  type ShareKind,
} from '../protocol.js';
import type { Session } from '../session.js';
import * as shapes from '../shapes.js';
import { payloadTensor, wordBytes } from '../wire.js';

/** A plaintext "share": the value on compute parties, nothing elsewhere. */
export class PlainShare implements Share {
  /** The public shape. */
  readonly shape: readonly number[];
  constructor(
    shape: readonly number[],
    /** Arithmetic or boolean. */
    readonly kind: ShareKind,
    /** The value (compute parties only). */
    readonly value: RingTensor | undefined,
  ) {
    this.shape = Object.freeze([...shape]);
  }
  /** Safe to log. */
  toString(): string {
    return `PlainShare<${this.kind}>[${this.shape.join(',')}]`;
  }
}

/** Options of {@link plaintextProtocol}. */
export interface PlaintextOptions {
  /** Session indices of the parties that hold values (default [0]). */
  computeParties?: readonly number[];
}

/** The plaintext reference protocol. */
export class PlaintextProtocol implements Protocol<PlainShare> {
  /** Protocol name. */
  readonly name = 'plaintext' as const;
  /** Session indices holding the values. */
  readonly computeParties: readonly number[];
  /** True on compute parties. */
  readonly isComputeParty: boolean;

  constructor(
    /** The session. */
    readonly session: Session,
    options: PlaintextOptions = {},
  ) {
    const cps = options.computeParties ?? [0];
    if (
      cps.length === 0 ||
      cps.some((p) => !Number.isInteger(p) || p < 0 || p >= session.parties) ||
      new Set(cps).size !== cps.length
    ) {
      throw new RangeError(
        `plaintext: bad compute parties [${cps.join(',')}] for ${session.parties} parties`,
      );
    }
    this.computeParties = Object.freeze([...cps]);
    this.isComputeParty = cps.includes(session.self);
  }

  private make(shape: Shape, kind: ShareKind, f: () => RingTensor): PlainShare {
    return new PlainShare(shape, kind, this.isComputeParty ? f() : undefined);
  }

  private v(x: PlainShare): RingTensor {
    if (x.value === undefined)
      throw new ProtocolUsageError(`party ${this.session.self} holds no value of ${x}`);
    return x.value;
  }

  private kindOf(x: PlainShare, kind: ShareKind, what: string): void {
    if (x.kind !== kind) throw new ProtocolUsageError(`${what} needs a ${kind} share, got ${x}`);
  }

  /** The owner sends its value to every compute party (1 round). */
  async input(owner: number, value: RingTensor | undefined, shape: Shape): Promise<PlainShare> {
    const s = this.session;
    checkParty(s.parties, owner, 'input: owner');
    const step = s.nextStep();
    s.countRound();
    if (s.self === owner) {
      if (value === undefined || value.size !== sizeOf(shape)) {
        throw new ProtocolUsageError(`input: the owner's value does not have shape [${shape.join(',')}]`);
      }
      await Promise.all(
        this.computeParties.filter((p) => p !== owner).map((p) => s.send(p, step, wordBytes(value.data))),
      );
      return new PlainShare(shape, 'A', this.isComputeParty ? value.reshape(shape) : undefined);
    }
    if (!this.isComputeParty) return new PlainShare(shape, 'A', undefined);
    const payload = await s.recv(owner, step);
    return new PlainShare(shape, 'A', payloadTensor(payload, shape, owner, step).clone());
  }

  /** The first compute party sends the value to each recipient without a copy (1 round). */
  async reveal(x: PlainShare, to: readonly number[]): Promise<RingTensor | undefined> {
    const s = this.session;
    checkRecipients(s.parties, to);
    const step = s.nextStep();
    s.countRound();
    const sender = this.computeParties[0]!;
    const needy = to.filter((p) => !this.computeParties.includes(p));
    if (s.self === sender) await Promise.all(needy.map((p) => s.send(p, step, wordBytes(this.v(x).data))));
    if (!to.includes(s.self)) return undefined;
    if (this.isComputeParty) return this.v(x).clone();
    return payloadTensor(await s.recv(sender, step), x.shape, sender, step).clone();
  }

  fromPublic(p: RingTensor, kind: ShareKind): PlainShare {
    return this.make(p.shape, kind, () => p);
  }
  reshape(x: PlainShare, shape: Shape): PlainShare {
    const sh = shapes.reshapeShape(x.shape, shape);
    return this.make(sh, x.kind, () => this.v(x).reshape(sh));
  }
  transpose(x: PlainShare, perm?: readonly number[]): PlainShare {
    return this.make(shapes.transposeShape(x.shape, perm), x.kind, () => this.v(x).transpose(perm));
  }
  slice(x: PlainShare, axis: number, start: number, end: number): PlainShare {
    return this.make(shapes.sliceShape(x.shape, axis, start, end), x.kind, () =>
      this.v(x).slice(axis, start, end),
    );
  }
  concat(xs: readonly PlainShare[], axis: number): PlainShare {
    const sh = shapes.concatShape(
      xs.map((x) => x.shape),
      axis,
    );
    return this.make(sh, xs[0]!.kind, () =>
      RT.concat(
        xs.map((x) => this.v(x)),
        axis,
      ),
    );
  }
  broadcastTo(x: PlainShare, shape: Shape): PlainShare {
    return this.make(shapes.broadcastShapes(x.shape, shape), x.kind, () => this.v(x).broadcastTo(shape));
  }
  im2col(x: PlainShare, g: Conv2dGeometry): { patches: PlainShare; oh: number; ow: number } {
    const r = shapes.im2colShape(x.shape, g);
    return { patches: this.make(r.shape, x.kind, () => this.v(x).im2col(g).patches), oh: r.oh, ow: r.ow };
  }
  sum(x: PlainShare, axis?: number, keepDims = false): PlainShare {
    this.kindOf(x, 'A', 'sum');
    return this.make(shapes.sumShape(x.shape, axis, keepDims), 'A', () => this.v(x).sum(axis, keepDims));
  }

  private bin(
    a: PlainShare,
    b: PlainShare,
    kind: ShareKind,
    what: string,
    f: (x: RingTensor, y: RingTensor) => RingTensor,
  ): PlainShare {
    this.kindOf(a, kind, what);
    this.kindOf(b, kind, what);
    return this.make(shapes.broadcastShapes(a.shape, b.shape), kind, () => f(this.v(a), this.v(b)));
  }
  private pub(
    a: PlainShare,
    p: RingTensor | bigint,
    kind: ShareKind,
    what: string,
    f: (x: RingTensor, p: RingTensor | bigint) => RingTensor,
  ): PlainShare {
    this.kindOf(a, kind, what);
    const sh = typeof p === 'bigint' ? a.shape : shapes.broadcastShapes(a.shape, p.shape);
    return this.make(sh, kind, () => f(this.v(a), p));
  }

  add(a: PlainShare, b: PlainShare): PlainShare {
    return this.bin(a, b, 'A', 'add', (x, y) => x.add(y));
  }
  sub(a: PlainShare, b: PlainShare): PlainShare {
    return this.bin(a, b, 'A', 'sub', (x, y) => x.sub(y));
  }
  neg(a: PlainShare): PlainShare {
    this.kindOf(a, 'A', 'neg');
    return this.make(a.shape, 'A', () => this.v(a).neg());
  }
  addPublic(a: PlainShare, p: RingTensor | bigint): PlainShare {
    return this.pub(a, p, 'A', 'addPublic', (x, q) => x.add(q));
  }
  mulPublic(a: PlainShare, p: RingTensor | bigint): PlainShare {
    return this.pub(a, p, 'A', 'mulPublic', (x, q) => x.mul(q));
  }
  shlA(a: PlainShare, k: number): PlainShare {
    this.kindOf(a, 'A', 'shlA');
    return this.make(a.shape, 'A', () => this.v(a).shl(k));
  }
  async mul(a: PlainShare, b: PlainShare): Promise<PlainShare> {
    return Promise.resolve(this.bin(a, b, 'A', 'mul', (x, y) => x.mul(y)));
  }
  async matmul(a: PlainShare, b: PlainShare): Promise<PlainShare> {
    this.kindOf(a, 'A', 'matmul');
    this.kindOf(b, 'A', 'matmul');
    return Promise.resolve(
      this.make(shapes.matmulShape(a.shape, b.shape), 'A', () => this.v(a).matmul(this.v(b))),
    );
  }
  async truncate(a: PlainShare, bits: number): Promise<PlainShare> {
    this.kindOf(a, 'A', 'truncate');
    checkTruncation(bits);
    return Promise.resolve(this.make(a.shape, 'A', () => this.v(a).sar(bits)));
  }
  async mulTrunc(a: PlainShare, b: PlainShare, bits: number): Promise<PlainShare> {
    checkTruncation(bits);
    return this.truncate(await this.mul(a, b), bits);
  }
  async matmulTrunc(a: PlainShare, b: PlainShare, bits: number): Promise<PlainShare> {
    checkTruncation(bits);
    return this.truncate(await this.matmul(a, b), bits);
  }

  xorB(a: PlainShare, b: PlainShare): PlainShare {
    return this.bin(a, b, 'B', 'xorB', (x, y) => x.xor(y));
  }
  xorPublicB(a: PlainShare, p: RingTensor | bigint): PlainShare {
    return this.pub(a, p, 'B', 'xorPublicB', (x, q) => x.xor(q));
  }
  andPublicB(a: PlainShare, p: RingTensor | bigint): PlainShare {
    return this.pub(a, p, 'B', 'andPublicB', (x, q) => x.and(q));
  }
  notB(a: PlainShare): PlainShare {
    this.kindOf(a, 'B', 'notB');
    return this.make(a.shape, 'B', () => this.v(a).not());
  }
  shlB(a: PlainShare, k: number): PlainShare {
    this.kindOf(a, 'B', 'shlB');
    return this.make(a.shape, 'B', () => this.v(a).shl(k));
  }
  shrB(a: PlainShare, k: number): PlainShare {
    this.kindOf(a, 'B', 'shrB');
    return this.make(a.shape, 'B', () => this.v(a).shr(k));
  }
  async andB(a: PlainShare, b: PlainShare): Promise<PlainShare> {
    return Promise.resolve(this.bin(a, b, 'B', 'andB', (x, y) => x.and(y)));
  }
  async andBMany(pairs: readonly (readonly [PlainShare, PlainShare])[]): Promise<PlainShare[]> {
    return Promise.resolve(pairs.map(([a, b]) => this.bin(a, b, 'B', 'andBMany', (x, y) => x.and(y))));
  }
  async a2b(a: PlainShare): Promise<PlainShare> {
    this.kindOf(a, 'A', 'a2b');
    return Promise.resolve(new PlainShare(a.shape, 'B', a.value));
  }
  async bitToA(b: PlainShare): Promise<PlainShare> {
    this.kindOf(b, 'B', 'bitToA');
    return Promise.resolve(this.make(b.shape, 'A', () => this.v(b).and(1n)));
  }

  /** Input and reveal cost one round and the copies sent; everything else is free. */
  cost(primitive: CostedPrimitive, elements: number, extra: CostExtra = {}): Cost {
    const self = this.session.self;
    if (primitive === 'input') {
      const owner = extra.owner ?? -1;
      const copies = self === owner ? this.computeParties.filter((p) => p !== owner).length : 0;
      return { rounds: 1, bytesSent: 8 * elements * copies };
    }
    if (primitive === 'reveal') {
      const needy = [...new Set(extra.recipients ?? [])].filter((p) => !this.computeParties.includes(p));
      return { rounds: 1, bytesSent: self === this.computeParties[0] ? 8 * elements * needy.length : 0 };
    }
    return { rounds: 0, bytesSent: 0 };
  }
}

function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Creates the plaintext protocol on a session. */
export function plaintextProtocol(session: Session, options: PlaintextOptions = {}): PlaintextProtocol {
  return new PlaintextProtocol(session, options);
}
