#!/usr/bin/env node
/**
 * The `fractal-coord` command line.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';

const USAGE = `Usage: fractal-coord <command> [options]

Commands:
  demo            run the in-process demo: start, commands, a crash, degradation,
                  recovery and shutdown, printed as it happens

Options:
  --no-color      plain output
  -h, --help      show this help
`;

/** Runs the CLI with `argv` (without the node and script paths); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'no-color': { type: 'boolean' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  switch (command) {
    case 'demo':
      await runDemo(parsed.values['no-color'] ? { color: false } : {});
      return 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
