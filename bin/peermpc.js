#!/usr/bin/env node
// The `peermpc` command. It runs the compiled dist/ when that build is newer than every source
// file (an installed package, or a clone after `npm install`, which builds: about 0.5 s to start),
// and otherwise the TypeScript sources through tsx (a checkout being edited: always current, but
// about 2.5 s to start). The polyfills load before anything else, so libp2p works on Node 20.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = new URL('../src/cli/index.ts', import.meta.url);
const dist = new URL('../dist/src/cli/index.js', import.meta.url);
const stamp = new URL('../dist/.built', import.meta.url);

/** Newest modification time under `dir` (ms), or Infinity when it cannot be read. */
function newest(dir) {
  let max = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
  } catch {
    return Infinity;
  }
  return max;
}

/** Whether dist/ was built (`npm run build` writes dist/.built last) after every change to src/. */
function distIsCurrent() {
  if (!existsSync(stamp) || !existsSync(dist)) return false;
  if (!existsSync(src)) return true; // an installed package: dist/ is all there is
  return statSync(stamp).mtimeMs >= newest(fileURLToPath(new URL('../src', import.meta.url)));
}

async function loadCli() {
  if (existsSync(src) && !distIsCurrent()) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      await import(new URL('../src/polyfills.ts', import.meta.url).href);
      return await import(src.href);
    } catch (err) {
      if (!existsSync(dist) || err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      // tsx is a dev dependency: without it, fall back to the build.
    }
  }
  if (!existsSync(dist)) {
    console.error(
      'peermpc: neither src/ with tsx nor a built dist/ was found; run `npm install` or `npm run build`',
    );
    process.exit(1);
  }
  await import(new URL('../dist/src/polyfills.js', import.meta.url).href);
  return import(dist.href);
}

// A reader that goes away (`peermpc dataset list | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err?.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const { main } = await loadCli();
process.exitCode = await main(process.argv);
