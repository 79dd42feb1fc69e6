/**
 * The protocol registry: name -> factory, so that benchmarks, simulations and jobs pick a protocol
 * by name. plaintext and rep3 are built in; another protocol registers itself with
 * `registerProtocol` (or gets a line in BUILTIN below).
 */
import { additiveWithDealer } from './additive/index.js';
import { plaintextProtocol } from './plaintext/index.js';
import type { Protocol } from './protocol.js';
import { rep3Protocol } from './rep3/index.js';
import type { Session } from './session.js';

/** How to run a protocol in a session. */
export interface ProtocolFactory {
  /** The protocol's name. */
  readonly name: string;
  /** One line for tables and help. */
  readonly description: string;
  /** Session parties of its default setup (e.g. rep3: 3; two compute parties plus a dealer: 3). */
  readonly defaultParties: number;
  /** Creates the protocol on one party's session (every party calls it). */
  create(session: Session): Protocol;
}

const BUILTIN: ProtocolFactory[] = [
  {
    name: 'plaintext',
    description: 'reference: values in the clear on party 0 (no security)',
    defaultParties: 3,
    create: (s) => plaintextProtocol(s),
  },
  {
    name: 'rep3',
    description: 'replicated 2-out-of-3 over Z_2^64, 3 parties, one semi-honest corruption',
    defaultParties: 3,
    create: (s) => rep3Protocol(s),
  },
  {
    name: 'additive',
    description:
      'additive n-out-of-n over Z_2^64, last party deals (seeded triples); semi-honest, dealer not colluding',
    defaultParties: 3,
    create: (s) => additiveWithDealer(s),
  },
];

const registry = new Map<string, ProtocolFactory>(BUILTIN.map((f) => [f.name, f]));

/** Adds (or replaces) a protocol factory. */
export function registerProtocol(factory: ProtocolFactory): void {
  if (typeof factory.name !== 'string' || factory.name === '')
    throw new TypeError('a protocol factory needs a name');
  registry.set(factory.name, factory);
}

/**
 * The factory registered under `name`.
 * @throws RangeError naming the known protocols when there is none.
 */
export function protocolFactory(name: string): ProtocolFactory {
  const f = registry.get(name);
  if (f === undefined)
    throw new RangeError(`unknown protocol "${name}" (known: ${protocolNames().join(', ')})`);
  return f;
}

/** Names of the registered protocols. */
export function protocolNames(): string[] {
  return [...registry.keys()];
}
