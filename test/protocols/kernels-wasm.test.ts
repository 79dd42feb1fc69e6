/**
 * The whole protocol conformance suite on the WebAssembly kernel. When build/ring.wasm is missing
 * the run is skipped (one passing test says so), unless PEERMPC_REQUIRE_WASM is set.
 */
import { runConformanceOnKernel } from './kernel-conformance.js';

runConformanceOnKernel('wasm', process.env.PEERMPC_REQUIRE_WASM !== undefined);
