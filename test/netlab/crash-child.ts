/**
 * A process that builds a small lab, prints `lab up <prefix>` on stderr, then throws an uncaught
 * error: lab.test.ts checks that the lab is removed anyway (cleanup.ts's exit hook).
 */
import { createLab } from '../../scripts/netlab/lab.js';

const lab = await createLab({
  name: 'crash',
  public: [{ name: 'pub1' }],
  sites: [{ name: 'x', nat: 'cone', hosts: [{ name: 'x1' }] }],
});
process.stderr.write(`lab up ${lab.prefix}\n`);
setTimeout(() => {
  throw new Error('crash-child: an uncaught error with the lab up');
}, 10);
