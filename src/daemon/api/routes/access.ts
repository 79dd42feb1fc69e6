/**
 * Access lists: `GET /access`, and `POST /access/allow|deny|clear` `{ peerIds: [...] }`, each
 * answering with the lists after the change. Deny closes the peer's connections at once.
 */
import type { AccessLists } from '../../../node/types.js';
import type { ApiContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import type { Router } from '../router.js';
import { objectBody, optionalStringArray } from '../validate.js';

/** Registers the access-list routes. */
export function accessRoutes(router: Router, ctx: ApiContext): void {
  const { access } = ctx.peer;
  router.get('/access', async (): Promise<AccessLists> => access.get());
  for (const action of ['allow', 'deny', 'clear'] as const) {
    router.post(`/access/${action}`, async (req): Promise<AccessLists> => {
      const peerIds = optionalStringArray(objectBody(await req.body()), 'peerIds');
      if (peerIds === undefined || peerIds.length === 0)
        throw new BadRequestError('"peerIds" must list at least one peer id');
      return access[action](peerIds, { signal: req.signal });
    });
  }
}
