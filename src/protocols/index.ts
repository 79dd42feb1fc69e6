/**
 * The MPC engine: channels and sessions, the protocols (plaintext reference, rep3, ...), the
 * generic ops over them, and the user-facing SharedTensor. Imports only src/tensor and src/util.
 */
export * from './channel.js';
export * from './session.js';
export * from './protocol.js';
export {
  createMemoryChannels,
  MemoryChannel,
  type LinkShape,
  type MemoryNetworkOptions,
} from './memory-channel.js';
export {
  createSession,
  DEFAULT_TIMEOUTS,
  SessionImpl,
  SessionTimeoutError,
  randomSessionId,
  type SessionInit,
} from './session-impl.js';
export { simulate, SimulationError, PartyHungError, type SimulateOptions } from './simulate.js';
export {
  PlaintextProtocol,
  PlainShare,
  plaintextProtocol,
  type PlaintextOptions,
} from './plaintext/index.js';
export { Rep3Protocol, Rep3Share, rep3Protocol, type Rep3Options } from './rep3/index.js';
export { protocolFactory, protocolNames, registerProtocol, type ProtocolFactory } from './registry.js';
export * as ops from './ops/index.js';
export {
  PendingShared,
  SharedTensor,
  type InputOptions,
  type Operand,
  type PendingOperand,
  type PublicOperand,
  type TfTensor,
} from './shared-tensor.js';
