/**
 * The console's static files (`/ui/static/app.js`, `/ui/static/app.css`), read once from
 * `src/daemon/ui/static/` — next to this module when it runs from the sources (tsx), else under
 * the package root (the compiled `dist/` has no copy; the package ships `src/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../util/paths.js';

/** The files served, by name, with their content types. */
export const STATIC_FILES: Readonly<Record<string, string>> = Object.freeze({
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
});

const cache = new Map<string, Buffer>();

/** The directory holding the static files. */
export function staticDir(): string {
  const here = fileURLToPath(new URL('./static/', import.meta.url));
  if (existsSync(join(here, 'app.js'))) return here;
  return join(packageRoot(), 'src', 'daemon', 'ui', 'static');
}

/** The file `name` and its content type, or undefined when it is not one of {@link STATIC_FILES}. */
export function staticFile(name: string): { body: Buffer; type: string } | undefined {
  const type = Object.hasOwn(STATIC_FILES, name) ? STATIC_FILES[name] : undefined;
  if (type === undefined) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(join(staticDir(), name));
    cache.set(name, body);
  }
  return { body, type };
}
