/**
 * The `audit` command alone, through the same registerAuditCommand that
 * src/cli/main.ts wires: compare.ts falls back to it when the `apiwarden`
 * entry point does not know `audit` (yet). Same options, output and exit
 * codes as `apiwarden audit`.
 */

import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from '../../src/cli/audit-command.ts';

let exitCode = 0;
const program = new Command().name('apiwarden').exitOverride();
registerAuditCommand(program, { setExitCode: (code) => { exitCode = code; } });
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  exitCode = error.exitCode;
}
process.exitCode = exitCode;
