/**
 * Where a party's time goes: `node --import tsx bench/profile-summary.ts <dir or .cpuprofile>...
 * [--top N]` reads CPU profiles (as bench/party.ts writes them with PEERMPC_BENCH_CPU_PROF) and
 * prints, per profile, the self time by group and the top self-time functions.
 *
 * A sample's group is that of the innermost frame on its stack that belongs to a package or to
 * this repository (frames of Node's own modules and nameless native functions are skipped, so a
 * native cipher call made by Noise counts as Noise, a socket write made by @libp2p/tcp as TCP):
 * crypto (Noise), yamux, Uint8ArrayList copies, libp2p streams, TCP socket (@libp2p/tcp and the
 * socket writes it makes), MPC channel (peermpc's frames, src/node/mpc), PRG (AES-CTR keystreams),
 * ring kernel (src/tensor, and the native addon's nameless functions wherever the engine calls
 * them), protocol engine (JS of src/protocols), GC; a stack of Node internals only is "node (event
 * loop, streams)". Idle time (waiting for the network or the other parties) is reported apart from
 * the busy time the percentages divide.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Groups by url, checked in order on the innermost frame of a package or of this repository. */
const GROUPS: [string, RegExp][] = [
  ['crypto (Noise)', /@chainsafe\/libp2p-noise|as-chacha20poly1305|@noble\/ciphers/],
  ['yamux', /@chainsafe\/libp2p-yamux/],
  ['Uint8ArrayList copies', /\/uint8arraylist\/|\/uint8arrays\//],
  ['TCP socket', /@libp2p\/tcp\//],
  [
    'libp2p streams',
    /@libp2p\/|\/libp2p\/|\/it-[a-z-]+\/|main-event|race-signal|p-event|progress-events|p-queue/,
  ],
  ['MPC channel', /\/src\/node\/mpc\//],
  ['PRG (AES-CTR)', /\/src\/tensor\/(prg|kernels\/native-prg)\.ts/],
  ['ring kernel', /\/src\/tensor\//],
  ['protocol engine (JS)', /\/src\/protocols\//],
  ['ml (src/ml)', /\/src\/ml\//],
  ['bench harness', /\/bench\//],
];

const SPECIAL: Record<string, string> = {
  '(garbage collector)': 'GC',
  '(idle)': 'idle',
  '(program)': 'V8 (program)',
  '(root)': 'V8 (program)',
};

function groupOf(stack: CallFrame[]): string {
  const leaf = stack[0]!;
  if (Object.hasOwn(SPECIAL, leaf.functionName)) return SPECIAL[leaf.functionName]!;
  // a nameless native function called from this repository's engine is the native addon
  const native = leaf.functionName === '' && leaf.url === '';
  for (const f of stack) {
    if (f.url === '' || f.url.startsWith('node:')) continue;
    for (const [name, re] of GROUPS) {
      if (!re.test(f.url)) continue;
      if (native && name === 'PRG (AES-CTR)') return 'PRG (AES-CTR)';
      if (native && /\/src\/(tensor|protocols|ml)\//.test(f.url)) return 'ring kernel';
      return name;
    }
    return 'other';
  }
  return 'node (event loop, streams)';
}

const frameName = (f: CallFrame): string => {
  const url = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
  // tsx-compiled files report line 0
  return `${f.functionName || '(anonymous)'} ${url}${url && f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}`;
};

/** A stack's leaf, named by its caller when it is a nameless native function. */
const short = (stack: CallFrame[]): string => {
  const leaf = stack[0]!;
  if (leaf.functionName !== '' || leaf.url !== '') return frameName(leaf);
  const caller = stack.find((f) => f.functionName !== '' && f.url !== '');
  return `(native) in ${caller === undefined ? '?' : frameName(caller)}`;
};

/** Self time (ms) by group and by function of one profile. */
export function summarise(p: Profile): { groups: Map<string, number>; fns: Map<string, [number, string]> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = new Map<number, CallFrame[]>();
  const stack = (id: number): CallFrame[] => {
    let s = stackOf.get(id);
    if (s === undefined) {
      s = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
        s.push(byId.get(at)!.callFrame);
      stackOf.set(id, s);
    }
    return s;
  };
  const groups = new Map<string, number>();
  const fns = new Map<string, [number, string]>();
  for (let i = 0; i < p.samples.length; i++) {
    // a sample stands for the interval until the next one
    const ms = (i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : 0) / 1000;
    const s = stack(p.samples[i]!);
    const g = groupOf(s);
    groups.set(g, (groups.get(g) ?? 0) + ms);
    const k = short(s);
    const prev = fns.get(k);
    fns.set(k, [(prev?.[0] ?? 0) + ms, g]);
  }
  return { groups, fns };
}

function files(args: string[]): string[] {
  return args.flatMap((a) =>
    statSync(a).isDirectory()
      ? readdirSync(a)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .map((f) => join(a, f))
      : [a],
  );
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 12;
  const paths = files(args.filter((a, i) => !a.startsWith('--') && !(topAt >= 0 && i === topAt + 1)));
  if (paths.length === 0) {
    process.stderr.write('usage: profile-summary.ts <dir or .cpuprofile>... [--top N]\n');
    process.exitCode = 2;
    return;
  }
  for (const path of paths) {
    const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
    const { groups, fns } = summarise(p);
    const wall = (p.endTime - p.startTime) / 1000;
    const idle = groups.get('idle') ?? 0;
    const busy = [...groups.values()].reduce((a, b) => a + b, 0) - idle;
    console.log(
      `\n${basename(path)}: ${wall.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms busy, ${idle.toFixed(0)} ms idle`,
    );
    for (const [g, ms] of [...groups].filter(([g]) => g !== 'idle').sort((a, b) => b[1] - a[1]))
      console.log(
        `  ${g.padEnd(32)} ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / busy).toFixed(1).padStart(5)} %`,
      );
    console.log(`  top self time:`);
    for (const [k, [ms, g]] of [...fns]
      .filter(([, [, g]]) => g !== 'idle')
      .sort((a, b) => b[1][0] - a[1][0])
      .slice(0, top))
      console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${g.padEnd(28)} ${k}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) main();
