/**
 * The `additive` protocol: n-out-of-n additive sharing over Z_2^64 among n >= 2 compute parties,
 * with a dealer party producing Beaver triples and other correlated randomness (seed-compressed).
 */
export { AdditiveProtocol, additiveWithDealer, type AdditiveOptions } from './protocol.js';
export { AdditiveShare } from './share.js';
export type { TruncationMode } from './truncation.js';
export type { OpeningMode } from './wire.js';
export { additiveCost, type AdditiveCostExtra, type CostParty } from './cost.js';
