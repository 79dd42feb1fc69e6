/**
 * The lab stage that runs peermpc itself (peer-run.ts): daemons behind the NATs, a relay,
 * discovery, a rep3 job. It holds when the job equals the plaintext, every pair of sites behind
 * cone NATs ended direct by hole punching, and every pair with a symmetric NAT stayed relayed.
 */
import type { Lab } from './lab.js';
import { runPeers, type LabConnection } from './peer-run.js';
import type { LabStage } from './runner.js';

/** Whether a connection between two site hosts ended as the NATs allow: direct between cones. */
export function expectedKind(lab: Lab, c: LabConnection): 'direct' | 'relayed' {
  const nat = (h: string): string | undefined => {
    const site = lab.siteOf(h);
    return site === undefined ? undefined : lab.natOf(site);
  };
  const [a, b] = [nat(c.from), nat(c.to)];
  // a public host (the relay) is dialled directly; two sites only through a hole punch
  return a === undefined || b === undefined || (a === 'cone' && b === 'cone') ? 'direct' : 'relayed';
}

/** Runs the peers and checks the connections and the job. */
export const peersStage: LabStage = {
  name: 'peers',
  async run(lab) {
    const s = await runPeers(lab, (line) => process.stderr.write(`  ${line}\n`));
    // One row per pair: a pair that holds a direct connection counts as direct.
    const pairs = new Map<string, LabConnection>();
    for (const c of s.connections) {
      const key = `${c.from}|${c.to}`;
      const prev = pairs.get(key);
      if (prev === undefined || (c.kind === 'direct' && prev.kind === 'relayed')) pairs.set(key, c);
    }
    const rows = [...pairs.values()].map((c) => ({ c, expected: expectedKind(lab, c) }));
    const held = ({ c, expected }: (typeof rows)[number]): boolean =>
      expected === 'relayed'
        ? c.kind === 'relayed'
        : c.kind === 'direct' &&
          (c.holePunched || lab.siteOf(c.from) === undefined || lab.siteOf(c.to) === undefined);
    const connectionsOk = rows.every(held);
    return {
      fields: {
        connections: [...pairs.values()],
        jobMatchesPlaintext: s.jobMatchesPlaintext,
        reachability: s.reachability,
        discoveryMs: s.discoveryMs,
        job: s.job,
        jobAllDirect: s.jobAllDirect,
        relayedPayloadBytes: s.relayedPayloadBytes,
        holePunches: s.holePunches,
        punchMs: s.punchMs,
      },
      ok: s.jobMatchesPlaintext && connectionsOk,
      table: {
        title:
          `peers: job with c1 computing through the relay ${s.job.state}, session ${s.job.sessionMs} ms ` +
          `(${s.relayedPayloadBytes} payload bytes through the relay); with the relay host computing, all ` +
          `direct, ${s.jobAllDirect.state}, session ${s.jobAllDirect.sessionMs} ms; ` +
          `${s.jobMatchesPlaintext ? 'both equal' : 'NOT BOTH EQUAL TO'} the plaintext`,
        header: ['', 'from', 'to', 'kind', 'hole punched', 'expected', 'punch led (outcome)'],
        rows: rows.map(({ c, expected }) => [
          held({ c, expected }) ? 'ok' : 'FAIL',
          c.from,
          c.to,
          c.kind,
          String(c.holePunched),
          expected,
          s.holePunches[c.from]?.[c.to] ?? s.holePunches[c.to]?.[c.from] ?? '',
        ]),
      },
    };
  },
};
