/** `peermpc access [list|allow|deny|clear]`: the daemon's allow and deny lists of peer ids. */
import type { Command } from 'commander';
import type { AccessLists } from '../../node/types.js';
import { clientFor, commonOptions, type CommandContext, type CommonOptions } from '../common.js';
import { keyValues, printJson, type Io } from '../output.js';

const HELP: Record<'allow' | 'deny' | 'clear', string> = {
  allow: 'add peers to the allow list (when it is not empty, only allowed peers get in)',
  deny: 'add peers to the deny list and close their connections',
  clear: 'remove peers from both lists',
};

/** Registers `access` and its subcommands. */
export function registerAccess(program: Command, { io }: CommandContext): void {
  const access = program.command('access').description('show or change which peers may connect');

  commonOptions(access.command('list', { isDefault: true }))
    .description('show the allow and deny lists')
    .action(async (opts: CommonOptions) => print(io, opts, await clientFor(opts).access()));

  for (const action of ['allow', 'deny', 'clear'] as const) {
    commonOptions(access.command(action))
      .description(HELP[action])
      .argument('<peer-id...>', 'peer ids')
      .action(async (peerIds: string[], opts: CommonOptions) =>
        print(io, opts, await clientFor(opts).changeAccess(action, peerIds)),
      );
  }
}

function print(io: Io, opts: CommonOptions, lists: AccessLists): void {
  if (opts.json === true) return printJson(io, lists);
  io.out(
    keyValues([
      ['allow', lists.allow.length === 0 ? ['(empty: every peer not denied)'] : lists.allow],
      ['deny', lists.deny],
    ]),
  );
}
