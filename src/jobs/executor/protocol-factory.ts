/**
 * Builds the protocol a job names over the job's session. Session order puts the compute parties
 * first (see job/parties.ts), so they are parties 0..k-1, and the dealer (additive) comes next.
 */
import { AdditiveProtocol } from '../../protocols/additive/index.js';
import { PlaintextProtocol } from '../../protocols/plaintext/index.js';
import type { Protocol } from '../../protocols/protocol.js';
import { Rep3Protocol } from '../../protocols/rep3/index.js';
import type { Session } from '../../protocols/session.js';
import type { Job } from '../job/types.js';
import { sessionParties } from '../job/parties.js';

/** The protocol of `job` on this party's `session`. */
export function jobProtocol(job: Job, session: Session): Protocol {
  const parties = sessionParties(job);
  const computeParties = job.computeParties.map((c) => parties.indexOf(c));
  switch (job.protocol) {
    case 'rep3':
      return new Rep3Protocol(session, { computeParties }) as unknown as Protocol;
    case 'additive':
      return new AdditiveProtocol(session, {
        computeParties,
        dealer: parties.indexOf(job.dealer!),
      }) as unknown as Protocol;
    case 'plaintext':
      return new PlaintextProtocol(session, { computeParties: [computeParties[0]!] }) as unknown as Protocol;
  }
}
