import { Command, CommanderError } from 'commander';
import { pathToFileURL } from 'node:url';
import { ApiwardenError } from '../errors.ts';
import { hashPassword } from '../auth/password-hash.ts';
import { registerAuditCommand } from './audit-command.ts';
import { registerBansCommand } from './bans-command.ts';
import { registerDiscoverCommand } from './discover-command.ts';
import { registerFindingsCommand } from './findings-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { registerKeysCommand } from './keys-command.ts';
import { runCheck } from './check.ts';
import { runDemo } from './demo-command.ts';
import { registerMigrateCommand } from './migrate-command.ts';
import { runAnalyser } from './analyser-command.ts';
import { runGateway } from './gateway-command.ts';
import { runInventory } from './inventory-command.ts';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/**
 * The command line. Returns the exit code; long-running commands
 * (gateway, demo) resolve only when they stop.
 */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('apiwarden')
    .description('API security gateway and traffic analyser: every request routed, classified and recorded against your OpenAPI documents.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('gateway')
    .description('run the inline gateway (reverse proxy) described by a policy file')
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml)')
    .option('--no-watch', 'do not reload when the policy or documents change (SIGHUP still reloads)')
    .action(async (opts: { config: string; watch: boolean }) => {
      exitCode = await runGateway(opts.config, { watch: opts.watch }, io);
    });

  program
    .command('analyser')
    .description("consume the gateways' events from NATS (bus.nats), write them to the store and run discovery and detection (scale-out)")
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml)')
    .action(async (opts: { config: string }) => {
      exitCode = await runAnalyser(opts.config, io);
    });

  program
    .command('check')
    .description('validate a policy file and its OpenAPI documents, and print the route table')
    .requiredOption('-c, --config <file>', 'policy file (apiwarden.yaml)')
    .option('--quiet', 'print only problems')
    .action(async (opts: { config: string; quiet?: boolean }) => {
      exitCode = await runCheck(opts.config, { quiet: opts.quiet ?? false }, io);
    });

  program
    .command('inventory')
    .description('print the endpoints seen by the gateway, their class and counts')
    .option('-c, --config <file>', 'policy file; its store is read')
    .option('--db <file>', 'SQLite database to read (instead of the policy\'s)')
    .option('--class <class>', 'only endpoints of this class: documented, shadow, zombie, unknown, rejected')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { config?: string; db?: string; class?: string; json?: boolean }) => {
      exitCode = await runInventory(opts, io);
    });

  program
    .command('demo')
    .description('start a demo API that reproduces a phone-number enumeration incident, with the gateway in front of it')
    .option('-p, --port <port>', 'gateway port on 127.0.0.1', '8080')
    .option('--mode <mode>', 'enforce or monitor', 'enforce')
    .option('--exit', 'exit after the guided tour instead of serving until Ctrl-C')
    .option('--admin-port <port>', 'the console (admin API, metrics, dashboard) on 127.0.0.1; the token is printed (or APIWARDEN_ADMIN_TOKEN)', '9090')
    .option('--no-admin', 'no console')
    .action(async (opts: { port: string; mode: string; exit?: boolean; adminPort: string; admin: boolean }) => {
      exitCode = await runDemo({ port: Number(opts.port), mode: opts.mode, exit: opts.exit ?? false, adminPort: opts.admin ? Number(opts.adminPort) : null }, io);
    });

  const setExit = (code: number): void => {
    exitCode = code;
  };
  registerAuditCommand(program, { io, setExitCode: setExit });
  registerKeysCommand(program, io, setExit);
  registerBansCommand(program, io, setExit);
  registerDiscoverCommand(program, io, setExit);
  registerFindingsCommand(program, io, setExit);
  registerReplayCommand(program, io, setExit);
  registerMigrateCommand(program, io, setExit);

  program
    .command('hash-password')
    .description('read a password from standard input and print its scrypt hash for auth.schemes.<name>.basic.users[].passwordHash')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (password === '') throw new ApiwardenError('EMPTY_PASSWORD', 'no password on standard input (e.g. printf %s "$PASSWORD" | apiwarden hash-password)');
      io.out(await hashPassword(password));
    });

  try {
    await program.parseAsync(argv as string[]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ApiwardenError) {
      io.err(`apiwarden: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv);
}
