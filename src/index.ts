/**
 * peermpc's public API. The polyfills load first so libp2p works on Node 20.
 *
 * - the tensor layer (RingTensor, kernels, fixed point, PRG, codec, loadTf) at the top level;
 * - the MPC engine (sessions, simulate, protocols, SharedTensor) at the top level and as `ops`;
 * - `ml`: tfjs-layers models as private models, private inference and training;
 * - `jobs`: the job program builder, validation and hashing;
 * - `createPeer`: a libp2p peer (identity, DHT dataset catalog, MPC sessions) for embedding.
 * - `simulateNetwork`: many real peers in one process, from a scenario (docs/SIMULATE.md).
 */
import './polyfills.js';

export * from './tensor/index.js';
export * from './protocols/index.js';
export * as ml from './ml/index.js';
export { ProgramBuilder, ValueRef } from './jobs/program/builder.js';
export { validateProgram } from './jobs/program/validate.js';
export { programHash } from './jobs/program/hash.js';
export { createPeer, type Peer, type CreatePeerOptions } from './node/peer.js';
export { simulateNetwork, type SimulateOptions, type SimProgress } from './sim/simulate.js';
export { parseScenario, ScenarioError, type Scenario, type ScenarioInput } from './sim/scenario.js';
export type { SimReport, SimJob, SimDiscovery } from './sim/report.js';
export { renderSimReportHtml, type SimReportHtmlOptions } from './sim/report-html.js';
