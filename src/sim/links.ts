/** The scenario's links between peers (regions, and the default link), as link shapes. */
import type { LinkShape } from '../node/types.js';
import type { LinkSpec, Scenario } from './scenario.js';

function shapeOf(l: LinkSpec): LinkShape | undefined {
  if (l.latencyMs === 0 && l.jitterMs === 0 && l.bandwidthMbps === undefined) return undefined;
  return {
    latencyMs: l.latencyMs,
    jitterMs: l.jitterMs,
    ...(l.bandwidthMbps !== undefined ? { bandwidthMbps: l.bandwidthMbps } : {}),
  };
}

/** The link between peers i and j: the last `between` entry joining their regions, else the default. */
export function linkBetween(s: Scenario, i: number, j: number | undefined): LinkShape | undefined {
  const regionsOf = (p: number): string[] =>
    Object.entries(s.links.regions)
      .filter(([, members]) => members.includes(p))
      .map(([name]) => name);
  if (j !== undefined) {
    const [ri, rj] = [regionsOf(i), regionsOf(j)];
    for (let k = s.links.between.length - 1; k >= 0; k--) {
      const b = s.links.between[k]!;
      if ((ri.includes(b.from) && rj.includes(b.to)) || (ri.includes(b.to) && rj.includes(b.from)))
        return shapeOf(b);
    }
  }
  return shapeOf(s.links.default);
}
