/** The whole protocol conformance suite on the reference kernel (plain TypeScript on BigUint64Array). */
import { runConformanceOnKernel } from './kernel-conformance.js';

runConformanceOnKernel('reference', true);
