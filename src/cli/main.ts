#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { isUserError } from '../errors.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('optix')
    .description('Analytical LLM serving planner and regression-test harness')
    .version('0.1.0')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const name = argv[2];
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry) {
    const mod = await entry.load();
    mod.register(program);
  } else {
    // Only descriptions: importing every command would slow the common path.
    for (const c of COMMANDS) program.command(c.name).description(c.summary);
  }
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(e)) {
      process.stderr.write(`optix: error: ${e.format()}\n`);
      return 2;
    }
    throw e;
  }
}

// `optix ... | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`optix: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
