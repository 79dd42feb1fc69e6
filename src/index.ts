/**
 * peermpc's public API. The polyfills load first so libp2p works on Node 20.
 */
import './polyfills.js';

export * from './tensor/index.js';
