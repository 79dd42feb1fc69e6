/**
 * Whether this machine can run a lab: root, `ip`, `nft` and `tc`, a namespace can be created and
 * used (a bridge and an nftables table inside it), and the host itself does not route the lab's
 * addresses. Tests and the runner skip with the reason when it cannot.
 */
import { LAB_NET } from './plan.js';
import { newPrefix } from './cleanup.js';
import { runSync } from './sys.js';

/**
 * Returns why a lab cannot run here, or undefined when it can. Creates and deletes one
 * namespace (`pl<pid>-<seq>-check`) to find out.
 *
 * @example
 * const reason = checkLabPrivileges();
 * if (reason !== undefined) test(`netlab skipped: ${reason}`, () => {});
 */
export function checkLabPrivileges(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (network namespaces and nftables need root)';
  const tools: [string, string[], string][] = [
    ['ip', ['-V'], 'iproute2'],
    ['tc', ['-V'], 'iproute2'],
    ['nft', ['--version'], 'nftables'],
  ];
  for (const [cmd, args, pkg] of tools) {
    const r = runSync(cmd, args);
    if (!r.ok && /ENOENT/.test(r.stderr)) return `no \`${cmd}\` command (install the ${pkg} package)`;
  }
  const routes = runSync('ip', ['-4', 'route', 'show', 'table', 'all']);
  const ours = new RegExp(`(^|\\s)${LAB_NET.replace('.', '\\.')}\\.`);
  const clash = routes.stdout.split('\n').find((line) => ours.test(line));
  if (clash !== undefined) return `the host already routes the lab's addresses (${LAB_NET}.0.0/16): ${clash}`;
  const ns = `${newPrefix()}check`;
  try {
    const steps: [string, string[], string?][] = [
      ['ip', ['netns', 'add', ns]],
      ['ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']],
      [
        'ip',
        ['netns', 'exec', ns, 'nft', '-f', '-'],
        'table ip probe {\n chain c { type filter hook input priority 0; }\n}\n',
      ],
      [
        'ip',
        [
          'netns',
          'exec',
          ns,
          'tc',
          'qdisc',
          'add',
          'dev',
          'br0',
          'root',
          'tbf',
          'rate',
          '1mbit',
          'burst',
          '16k',
          'latency',
          '50ms',
        ],
      ],
    ];
    for (const [cmd, args, input] of steps) {
      const r = runSync(cmd, args, input);
      if (!r.ok) return `cannot ${args.slice(0, 4).join(' ')}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
    }
    return undefined;
  } finally {
    runSync('ip', ['netns', 'delete', ns]);
  }
}
