/**
 * Datasets: the local catalog and search through the network.
 *
 * - `GET /datasets`: local datasets.
 * - `POST /datasets` `{ csvPath, name, description?, tags?, mockPath?, mockRows?, magnitudes?, bounds?, replace? }`
 *   (absolute paths on the daemon's machine; `bounds` `{ column: [lo, hi] }`, public column bounds
 *   every value must lie within): imports and advertises a dataset; 201 with the local dataset. A
 *   replace keeps the old tags and description unless given, and the dataset's policy; a new name
 *   starts with the default policy (a policy left from a dataset of that name is removed first).
 * - `PATCH /datasets/:name` `{ tags?, description?, bounds? }`: changes a local dataset's tags,
 *   description and/or column bounds (`{ column: [lo, hi] | null }`, null removing a column's;
 *   checked against the data), re-signed and re-advertised; data, rows and policy unchanged.
 * - `GET /datasets/search?term=..[&by=name|tag|any][&exact=true][&timeoutMs=..]`: verified
 *   descriptions found (`exact`: only names/tags equal to the term).
 * - `GET /datasets/:owner/:name`: one description, fetched from its owner and verified.
 * - `DELETE /datasets/:name`: stops advertising and deletes a local dataset, and its policy (a
 *   policy change, audited).
 */
import type { JobService } from '../../../jobs/service/service.js';
import { isJobsPeer } from '../../../jobs/service/for-peer.js';
import type { DatasetSearchResult, LocalDataset, SignedDatasetDescription } from '../../../node/types.js';
import { MAX_DESCRIPTION_CHARS, MAX_MOCK_ROWS } from '../../../node/dataset/description.js';
import { MAX_BOUND, MAX_MAGNITUDE, MIN_MAGNITUDE } from '../../../node/dataset/magnitude.js';
import { MAX_TERM_CHARS, normaliseTerm } from '../../../node/catalog/match.js';
import { logger } from '../../../util/log.js';
import type { ApiContext } from '../context.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { RouteResponse, type Router } from '../router.js';
import {
  objectBody,
  optionalAbsolutePath,
  optionalBoolean,
  optionalBoundsRecord,
  optionalIntRecord,
  optionalPositiveInt,
  optionalString,
  optionalStringArray,
  requiredString,
} from '../validate.js';
import { jobServiceOf } from './jobs.js';

/** Body of `GET /datasets`. */
export interface DatasetListResponse {
  /** Local datasets, sorted by name. */
  datasets: LocalDataset[];
}

/** Body of `DELETE /datasets/:name`. */
export interface DatasetRemoveResponse {
  /** The dataset removed. */
  name: string;
  /** Always true (a missing dataset is a 404). */
  removed: true;
  /** Present when the dataset had a policy, removed with it. */
  policyRemoved?: true;
}

const SEARCH_BY = ['name', 'tag', 'any'] as const;
const MAX_SEARCH_TIMEOUT_MS = 600_000;

const log = logger('daemon:datasets');

/** The job service that holds the policies, or undefined when this peer runs no jobs. */
function jobsOf(ctx: ApiContext): JobService | undefined {
  return isJobsPeer(ctx.peer) ? jobServiceOf(ctx) : undefined;
}

/**
 * Removes the policy of `name`, a dataset this peer no longer has (or not yet), so that no later
 * dataset of that name inherits it; audited as a policy change. True when there was one.
 */
async function forgetPolicy(ctx: ApiContext, name: string): Promise<boolean> {
  const jobs = jobsOf(ctx);
  if (jobs === undefined || jobs.policies.get(name) === undefined) return false;
  return (await jobs.removePolicy(name)).removed;
}

/** Registers the dataset routes. */
export function datasetRoutes(router: Router, ctx: ApiContext): void {
  const { datasets } = ctx.peer;

  router.get('/datasets', async (req): Promise<DatasetListResponse> => ({
    datasets: await datasets.list({ signal: req.signal }),
  }));

  router.post('/datasets', async (req) => {
    const body = objectBody(await req.body());
    const csvPath = optionalAbsolutePath(body, 'csvPath');
    if (csvPath === undefined) throw new BadRequestError('"csvPath" is required');
    const name = requiredString(body, 'name');
    // A policy without its dataset (left by a crash between the two removals, or by a version
    // that kept them) must not pass to a new dataset of that name.
    if ((await datasets.get(name, { signal: req.signal })) === undefined) await forgetPolicy(ctx, name);
    const added: LocalDataset = await datasets.add(
      {
        csvPath,
        name,
        description: optionalString(body, 'description'),
        tags: optionalStringArray(body, 'tags'),
        mockPath: optionalAbsolutePath(body, 'mockPath'),
        mockRows: optionalPositiveInt(body.mockRows, 'mockRows', MAX_MOCK_ROWS),
        magnitudes: optionalIntRecord(body, 'magnitudes', MIN_MAGNITUDE, MAX_MAGNITUDE),
        bounds: optionalBoundsRecord(body, 'bounds', MAX_BOUND),
        replace: optionalBoolean(body, 'replace'),
      },
      { signal: req.signal },
    );
    return new RouteResponse(201, added);
  });

  router.add('PATCH', '/datasets/:name', async (req): Promise<LocalDataset> => {
    const body = objectBody(await req.body());
    for (const key of Object.keys(body)) {
      if (key !== 'tags' && key !== 'description' && key !== 'bounds')
        throw new BadRequestError(`unknown field "${key}"`);
    }
    const tags = optionalStringArray(body, 'tags');
    const description = optionalString(body, 'description');
    const bounds = optionalBoundsRecord(body, 'bounds', MAX_BOUND, true);
    if (tags === undefined && description === undefined && bounds === undefined) {
      throw new BadRequestError('give "tags", "description" and/or "bounds"');
    }
    if (description !== undefined && description.length > MAX_DESCRIPTION_CHARS) {
      throw new BadRequestError(`"description" is longer than ${MAX_DESCRIPTION_CHARS} characters`);
    }
    return datasets.update(
      req.params.name!,
      {
        ...(tags !== undefined ? { tags } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(bounds !== undefined ? { bounds } : {}),
      },
      { signal: req.signal },
    );
  });

  router.get('/datasets/search', async (req): Promise<DatasetSearchResult> => {
    const term = req.query.get('term') ?? '';
    if (term.trim() === '') throw new BadRequestError('query parameter "term" is required');
    if (normaliseTerm(term) === undefined) {
      throw new BadRequestError(
        `"term" must be at most ${MAX_TERM_CHARS} characters, without control characters`,
      );
    }
    const by = req.query.get('by') ?? 'any';
    if (!(SEARCH_BY as readonly string[]).includes(by)) {
      throw new BadRequestError(`"by" must be one of ${SEARCH_BY.join(', ')}`);
    }
    const timeoutMs = optionalPositiveInt(
      req.query.get('timeoutMs') ?? undefined,
      'timeoutMs',
      MAX_SEARCH_TIMEOUT_MS,
    );
    const exact = req.query.get('exact') ?? 'false';
    if (exact !== 'true' && exact !== 'false') throw new BadRequestError('"exact" must be true or false');
    return datasets.search(term, {
      signal: req.signal,
      timeoutMs,
      by: by as (typeof SEARCH_BY)[number],
      exact: exact === 'true',
    });
  });

  router.get('/datasets/:owner/:name', async (req): Promise<SignedDatasetDescription> =>
    datasets.show(req.params.owner!, req.params.name!, { signal: req.signal }),
  );

  router.delete('/datasets/:name', async (req): Promise<DatasetRemoveResponse> => {
    const name = req.params.name!;
    if (!(await datasets.remove(name, { signal: req.signal }))) {
      throw new NotFoundError(`no local dataset named "${name}"`);
    }
    let policyRemoved = false;
    try {
      policyRemoved = await forgetPolicy(ctx, name);
    } catch (err) {
      // the dataset is gone; its policy is removed when a dataset of that name is added
      log.error('dataset %s removed, but not its policy: %s', name, (err as Error).message);
    }
    return { name, removed: true, ...(policyRemoved ? { policyRemoved: true as const } : {}) };
  });
}
