// Builds the optional native Z_2^64 kernel (binding.gyp -> build/Release/peermpc_ring.node) with
// npm's bundled node-gyp. This is the package's `install` script, so it never fails the install:
// on any problem it prints one warning line and exits 0, and peermpc runs on its WebAssembly kernel.
// Set PEERMPC_SKIP_NATIVE=1 to skip the build. The full build log of a failed build is kept in
// build/native-build.log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addon = join(root, 'build', 'Release', 'peermpc_ring.node');
const logFile = join(root, 'build', 'native-build.log');
const FALLBACK = 'peermpc will use the WebAssembly kernel';

function done(line) {
  console.log(line);
  process.exit(0);
}

// Saves a build log; returns where (or a note that it could not).
function writeLog(log) {
  try {
    mkdirSync(dirname(logFile), { recursive: true });
    writeFileSync(logFile, log);
    return logFile;
  } catch {
    return 'nowhere (cannot write build/)';
  }
}

function fail(reason, log) {
  const where = log ? `, log in ${writeLog(log)}` : '';
  console.warn(`peermpc: warning: native kernel not built (${reason}${where}); ${FALLBACK}`);
  process.exit(0);
}

process.on('uncaughtException', (err) => fail(`unexpected error: ${err?.message ?? err}`));

// npm's own node-gyp: npm sets npm_config_node_gyp for install scripts; otherwise look next to npm
// (npm_execpath) or next to this node binary, and last in our own dependencies.
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  const bin = dirname(process.execPath);
  candidates.push(
    join(bin, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  candidates.push(join(bin, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((p) => p.endsWith('.js') && existsSync(p));
}

// Node's headers installed next to the binary (e.g. /usr/include/node for /usr/bin/node, or a
// tarball install): passing them avoids node-gyp downloading headers, which fails offline.
function findNodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

// The most telling line of a failed build's log, shortened.
function firstError(log) {
  const lines = log.split('\n').map((l) => l.trim());
  const line =
    lines.find((l) => !l.startsWith('gyp') && /: (fatal )?error:/i.test(l)) ??
    lines.find((l) => !l.startsWith('gyp') && /not found|No such file|ENOENT/i.test(l)) ??
    lines.find((l) => l.startsWith('gyp ERR! stack Error:')) ??
    'see the log';
  return line.length > 160 ? line.slice(0, 157) + '...' : line;
}

function main() {
  if (process.env.PEERMPC_SKIP_NATIVE === '1') {
    done(`peermpc: native kernel build skipped (PEERMPC_SKIP_NATIVE=1); ${FALLBACK}`);
  }
  if (!existsSync(join(root, 'binding.gyp'))) fail('binding.gyp is missing');
  const gyp = findNodeGyp();
  if (!gyp) fail('node-gyp not found');
  // configure + build, not rebuild: rebuild deletes build/, which also holds the WebAssembly kernel.
  rmSync(addon, { force: true });
  const opts = ['--release', '--jobs=max'];
  const nodedir = findNodeDir();
  if (nodedir) opts.push(`--nodedir=${nodedir}`);
  const gypRun = (commands) => {
    const args = [gyp, ...commands, ...opts];
    const run = spawnSync(process.execPath, args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 10 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const log = `$ ${process.execPath} ${args.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}`;
    if (run.error) fail(`node-gyp did not run: ${run.error.message}`, log);
    return { status: run.status ?? run.signal, log };
  };
  let { status, log } = gypRun(['configure', 'build']);
  // binding.gyp may hold other optional targets: if one of them broke the build, build the kernel
  // target alone; the kernel counts as built if its addon was made.
  let partial = '';
  if (status !== 0) {
    const reason = `node-gyp exited with ${status}: ${firstError(log)}`;
    // make stops at the first failed target: build each one alone, so one that breaks (say the
    // Noise cipher, without OpenSSL headers) costs only itself
    for (const target of ['peermpc_ring', 'peermpc_prg', 'peermpc_aead', 'peermpc_sock', 'peermpc_alloc']) {
      const retry = gypRun(['build', target]);
      log += `\n${retry.log}`;
    }
    if (!existsSync(addon)) fail(reason, log);
    partial = `; other native targets failed (${reason}), log in ${writeLog(log)}`;
  }
  if (!existsSync(addon)) fail(`${addon} missing after the build`, log);

  // Load it in a child process: a binary that cannot load (or crashes loading) must not be left
  // where the kernel registry would pick it up.
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const r = require(${JSON.stringify(addon)}); process.stdout.write(r.level() + ', ' + r.threads());`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (probe.status !== 0) {
    rmSync(addon, { force: true });
    fail('the built addon does not load', `${log}\n$ load probe\n${probe.stdout ?? ''}${probe.stderr ?? ''}`);
  }
  if (!partial) rmSync(logFile, { force: true }); // an old failure's log would only mislead
  done(`peermpc: native kernel built (${probe.stdout} threads)${partial}`);
}

try {
  main();
} catch (err) {
  fail(`unexpected error: ${err?.message ?? err}`);
}
