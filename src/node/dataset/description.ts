/**
 * Dataset descriptions: building, signing with the owner's key, and checking untrusted ones.
 *
 * The signature covers a domain-separation prefix plus the canonical JSON of the description, and
 * is verified with the public key embedded in the owner's (Ed25519) peer id, so a description
 * cannot be attributed to anyone but the key holder, nor altered in transit or at rest.
 */
import { MAX_PEER_ID_CHARS } from '../peer-keys.js';
import '../../polyfills.js';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { canonicalJson } from '../canonical-json.js';
import { DescriptionVerificationError } from '../errors.js';
import type { ColumnInfo, DatasetDescription, PolicySummary, SignedDatasetDescription } from '../types.js';
import { MAX_COLUMNS } from './csv.js';
import { boundsMagnitude, isBounds, isMagnitude } from './magnitude.js';
import { isValidName } from './names.js';

/** Prefix of the signed bytes, so a description signature can never be replayed as anything else. */
export const DESCRIPTION_SIGNING_DOMAIN = 'peermpc:dataset-description:v1\n';
/** Most mock rows a description may carry. */
export const MAX_MOCK_ROWS = 100;
/** Longest free-text description. */
export const MAX_DESCRIPTION_CHARS = 4096;

function signedBytes(description: DatasetDescription): Uint8Array {
  return new TextEncoder().encode(DESCRIPTION_SIGNING_DOMAIN + canonicalJson(description));
}

/** Signs `description` with the owner's key. */
export async function signDescription(
  description: DatasetDescription,
  key: PrivateKey,
): Promise<SignedDatasetDescription> {
  const sig = await key.sign(signedBytes(description));
  return { description, signature: Buffer.from(sig).toString('base64url') };
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Most entries in one list of a policy summary (requesters, ops, outputs). */
export const MAX_POLICY_LIST = 1024;

const isStrList = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length <= MAX_POLICY_LIST &&
  v.every((s) => typeof s === 'string' && s !== '' && s.length <= 256);

/**
 * Checks the shape of a policy summary (every field optional, unknown fields ignored); returns a
 * reason or undefined.
 */
export function policySummaryProblem(p: unknown): string | undefined {
  if (!isObj(p)) return 'invalid policy summary';
  if (p.approval !== undefined && p.approval !== 'auto' && p.approval !== 'manual')
    return 'invalid policy summary: approval';
  for (const f of ['default', 'requestersRestricted'] as const) {
    if (p[f] !== undefined && typeof p[f] !== 'boolean') return `invalid policy summary: ${f}`;
  }
  for (const f of ['requesters', 'ops', 'outputs', 'computeParties'] as const) {
    if (p[f] !== undefined && !isStrList(p[f])) return `invalid policy summary: ${f}`;
  }
  if (p.minRows !== undefined && (typeof p.minRows !== 'number' || !Number.isSafeInteger(p.minRows)))
    return 'invalid policy summary: minRows';
  return undefined;
}

/** Checks the shape of an untrusted description (no signature check); returns a reason or undefined. */
function shapeProblem(d: unknown): string | undefined {
  if (!isObj(d)) return 'description is not an object';
  if (d.version !== 1) return 'unknown description version';
  if (typeof d.name !== 'string' || !isValidName(d.name)) return 'invalid dataset name';
  if (typeof d.owner !== 'string') return 'missing owner';
  if (typeof d.description !== 'string' || d.description.length > MAX_DESCRIPTION_CHARS)
    return 'invalid description text';
  if (!Array.isArray(d.columns) || d.columns.length === 0 || d.columns.length > MAX_COLUMNS)
    return 'invalid columns';
  for (const c of d.columns as unknown[]) {
    if (!isObj(c) || typeof c.name !== 'string' || c.name === '' || c.type !== 'number')
      return 'invalid column';
    if (c.magnitude !== undefined && !isMagnitude(c.magnitude)) return 'invalid column';
    // bounds: valid, and the column publishes their magnitude
    if (c.bounds !== undefined && (!isBounds(c.bounds) || c.magnitude !== boundsMagnitude(c.bounds)))
      return 'invalid column bounds';
  }
  if (typeof d.rows !== 'number' || !Number.isSafeInteger(d.rows) || d.rows < 0) return 'invalid row count';
  if (
    !Array.isArray(d.tags) ||
    d.tags.length > 32 ||
    d.tags.some((t) => typeof t !== 'string' || !isValidName(t))
  ) {
    return 'invalid tags';
  }
  if (!Array.isArray(d.mock) || d.mock.length > MAX_MOCK_ROWS) return 'invalid mock rows';
  for (const r of d.mock as unknown[]) {
    if (
      !Array.isArray(r) ||
      r.length !== d.columns.length ||
      r.some((v) => typeof v !== 'number' || !Number.isFinite(v))
    ) {
      return 'invalid mock row';
    }
  }
  if (d.mockSource !== 'synthetic' && d.mockSource !== 'file') return 'invalid mock source';
  const policyProblem = policySummaryProblem(d.policy);
  if (policyProblem !== undefined) return policyProblem;
  if (typeof d.created !== 'string' || Number.isNaN(Date.parse(d.created))) return 'invalid creation time';
  return undefined;
}

/**
 * Checks an untrusted signed description: shape, owner id, signature, and (when given) that it
 * came from `expectedOwner` and is named `expectedName`.
 *
 * @throws {DescriptionVerificationError} naming `servedBy` (the peer it came from) and the reason.
 */
export async function verifySignedDescription(
  value: unknown,
  servedBy: string,
  expected: { owner?: string; name?: string } = {},
): Promise<SignedDatasetDescription> {
  const fail = (reason: string): never => {
    throw new DescriptionVerificationError(servedBy, reason);
  };
  if (!isObj(value) || typeof value.signature !== 'string') return fail('not a signed description');
  const problem = shapeProblem(value.description);
  if (problem !== undefined) return fail(problem);
  const description = value.description as unknown as DatasetDescription;
  if (expected.owner !== undefined && description.owner !== expected.owner) return fail('owner mismatch');
  if (expected.name !== undefined && description.name !== expected.name) return fail('name mismatch');
  let publicKey;
  try {
    if (description.owner.length > MAX_PEER_ID_CHARS) throw new TypeError('owner is too long for a peer id');
    publicKey = peerIdFromString(description.owner).publicKey;
  } catch {
    return fail('owner is not a peer id');
  }
  if (publicKey === undefined || publicKey.type !== 'Ed25519') return fail('owner id carries no Ed25519 key');
  const sig = Buffer.from(value.signature, 'base64url');
  let ok: boolean;
  try {
    ok = await publicKey.verify(signedBytes(description), sig);
  } catch {
    ok = false;
  }
  if (!ok) return fail('bad signature');
  return { description, signature: value.signature };
}

/** Fields for {@link buildDescription}. */
export interface DescriptionFields {
  /** Dataset name. */
  name: string;
  /** The owner's peer id. */
  owner: string;
  /** Free text. */
  description: string;
  /** Column names (all numeric). */
  columns: string[];
  /** Each column's magnitude exponent (magnitude.ts), in column order. */
  magnitudes: number[];
  /** Each column's declared bounds (undefined: none), in column order; default none. */
  bounds?: ReadonlyArray<readonly [number, number] | undefined>;
  /** Number of rows. */
  rows: number;
  /** Tags (normalised). */
  tags: string[];
  /** Mock rows to publish (never real rows). */
  mock: number[][];
  /** Where the mock rows come from. */
  mockSource: 'synthetic' | 'file';
  /** The policy summary to publish. */
  policy: PolicySummary;
  /** Creation time (default: now). */
  created?: Date;
}

/** Builds a description object (not yet signed). */
export function buildDescription(f: DescriptionFields): DatasetDescription {
  const columns: ColumnInfo[] = f.columns.map((name, j) => {
    const b = f.bounds?.[j];
    return {
      name,
      type: 'number',
      magnitude: f.magnitudes[j]!,
      ...(b !== undefined ? { bounds: [b[0], b[1]] as [number, number] } : {}),
    };
  });
  return {
    version: 1,
    name: f.name,
    owner: f.owner,
    description: f.description,
    columns,
    rows: f.rows,
    tags: f.tags,
    mock: f.mock,
    mockSource: f.mockSource,
    policy: f.policy,
    created: (f.created ?? new Date()).toISOString(),
  };
}
