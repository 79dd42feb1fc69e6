/**
 * Generic ops over any {@link Protocol}: written once against the primitives, so every protocol
 * gets them. Rounds and bytes of each follow from the primitives' `cost` (docs/PROTOCOLS.md).
 */
export * from './adder.js';
export * from './compare.js';
export * from './fixed.js';
export * from './max.js';
export * from './reduce.js';
export * from './cost.js';
export * from './msb.js';
export * from './bounds.js';
