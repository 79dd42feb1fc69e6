/**
 * Datasets: the local catalog and search through the network.
 *
 * - `GET /datasets`: local datasets.
 * - `POST /datasets` `{ csvPath, name, description?, tags?, mockPath?, mockRows?, magnitudes?, replace? }` (absolute paths
 *   on the daemon's machine): imports and advertises a dataset; 201 with the local dataset.
 * - `GET /datasets/search?term=..[&by=name|tag|any][&timeoutMs=..]`: verified descriptions found.
 * - `GET /datasets/:owner/:name`: one description, fetched from its owner and verified.
 * - `DELETE /datasets/:name`: stops advertising and deletes a local dataset.
 */
import type { DatasetSearchResult, LocalDataset, SignedDatasetDescription } from '../../../node/types.js';
import { MAX_MOCK_ROWS } from '../../../node/dataset/description.js';
import { MAX_MAGNITUDE, MIN_MAGNITUDE } from '../../../node/dataset/magnitude.js';
import type { ApiContext } from '../context.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { RouteResponse, type Router } from '../router.js';
import {
  objectBody,
  optionalAbsolutePath,
  optionalBoolean,
  optionalIntRecord,
  optionalPositiveInt,
  optionalString,
  optionalStringArray,
  requiredString,
} from '../validate.js';

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
}

const SEARCH_BY = ['name', 'tag', 'any'] as const;
const MAX_SEARCH_TIMEOUT_MS = 600_000;

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
    const added: LocalDataset = await datasets.add(
      {
        csvPath,
        name: requiredString(body, 'name'),
        description: optionalString(body, 'description'),
        tags: optionalStringArray(body, 'tags'),
        mockPath: optionalAbsolutePath(body, 'mockPath'),
        mockRows: optionalPositiveInt(body.mockRows, 'mockRows', MAX_MOCK_ROWS),
        magnitudes: optionalIntRecord(body, 'magnitudes', MIN_MAGNITUDE, MAX_MAGNITUDE),
        replace: optionalBoolean(body, 'replace'),
      },
      { signal: req.signal },
    );
    return new RouteResponse(201, added);
  });

  router.get('/datasets/search', async (req): Promise<DatasetSearchResult> => {
    const term = req.query.get('term') ?? '';
    if (term.trim() === '') throw new BadRequestError('query parameter "term" is required');
    const by = req.query.get('by') ?? 'any';
    if (!(SEARCH_BY as readonly string[]).includes(by)) {
      throw new BadRequestError(`"by" must be one of ${SEARCH_BY.join(', ')}`);
    }
    const timeoutMs = optionalPositiveInt(
      req.query.get('timeoutMs') ?? undefined,
      'timeoutMs',
      MAX_SEARCH_TIMEOUT_MS,
    );
    return datasets.search(term, { signal: req.signal, timeoutMs, by: by as (typeof SEARCH_BY)[number] });
  });

  router.get('/datasets/:owner/:name', async (req): Promise<SignedDatasetDescription> =>
    datasets.show(req.params.owner!, req.params.name!, { signal: req.signal }),
  );

  router.delete('/datasets/:name', async (req): Promise<DatasetRemoveResponse> => {
    const name = req.params.name!;
    if (!(await datasets.remove(name, { signal: req.signal }))) {
      throw new NotFoundError(`no local dataset named "${name}"`);
    }
    return { name, removed: true };
  });
}
