#!/usr/bin/env node
// The `peermpc` command. From a git checkout it runs the TypeScript sources through tsx (no build
// step); from an installed package it runs the compiled dist/. The polyfills load before anything
// else, so libp2p works on Node 20.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/index.ts', import.meta.url);
const dist = new URL('../dist/src/cli/index.js', import.meta.url);

async function loadCli() {
  if (existsSync(src)) {
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
