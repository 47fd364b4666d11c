#!/usr/bin/env node
/**
 * The `fractal-coord` command line.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';
import { runHost } from './host.js';
import type { NatsAuth } from './natsConnect.js';
import { runRoot } from './run.js';
import { runViz } from './viz.js';
import { subjectPermissions } from '../transport/nats/permissions.js';
import { DEFAULT_TREE_NAME } from './cluster.js';
import { loadSpecFile } from './specFile.js';

const USAGE = `Usage: fractal-coord <command> [options]

Commands:
  demo            run the in-process demo: start, commands, a crash, degradation,
                  recovery and a partition, printed as it happens and shown in the
                  visualizer (its URL is printed); it keeps running until Ctrl-C
  viz             serve a tree in this process to the visualizer, every control on
                  the page (--spec <file>, or --size <nodes>: a balanced tree)
  run             run the root of a tree spread over NATS (needs --spec)
  host            run one subtree of a tree spread over NATS (needs --node)
  permissions     print the NATS subjects the process of --node (or of the
                  root, without --node) publishes and subscribes to (needs --spec)

Options of run and host:
  --nats <url>          NATS server(s), comma-separated (default $NATS_URL, else
                        nats://127.0.0.1:4222)
  --spec <file>         the whole tree as JSON, remote nodes marked "remote": true
  --tree <name>         the tree's name on the wire (default: the spec's "tree",
                        else fractal-coord)
  --handler <module>    a module exporting the leaves' command handler
  --token <token>       authenticate with a token ($NATS_TOKEN)
  --user <name>         authenticate with a user ($NATS_USER) and
  --password <secret>   its password ($NATS_PASSWORD)
  --nkey <file>         authenticate with the nkey seed in <file>
  --creds <file>        authenticate with a credentials file ($NATS_CREDS)
Options of host:
  --node <id>           the node this host runs, with its subtree from --spec
  --parent <id>         its parent, when there is no --spec (it then runs one leaf)
Options of run:
  --command <name>      issue this command (repeatable), then shut down; without
                        it, commands are read from standard input, one per line
  --payload <json>      payload of every --command
  --timeout <ms>        budget of each command, ms
  --viz                 serve the visualizer for the tree (--port <n> to choose)

Options of demo and viz:
  --headless      demo: the scripted scenario only, ending in a shutdown; no page
  --port <n>      the visualizer's port on 127.0.0.1 (default: a free one)
  --size <nodes>  viz: about this many nodes, fan-out 10 (default 111)

Options:
  --no-color      plain output (demo)
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
        headless: { type: 'boolean' },
        port: { type: 'string' },
        viz: { type: 'boolean' },
        size: { type: 'string' },
        nats: { type: 'string' },
        spec: { type: 'string' },
        tree: { type: 'string' },
        node: { type: 'string' },
        parent: { type: 'string' },
        handler: { type: 'string' },
        command: { type: 'string', multiple: true },
        payload: { type: 'string' },
        timeout: { type: 'string' },
        token: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        nkey: { type: 'string' },
        creds: { type: 'string' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  const values = parsed.values;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const nats = values.nats ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const auth = authFrom(values);
  const usage = (message: string): number => {
    process.stderr.write(`${message}\n\n${USAGE}`);
    return 2;
  };
  try {
    switch (command) {
      case 'demo': {
        const port = numberFlag(values.port, '--port', 0, 65_535);
        if (typeof port === 'string') return usage(port);
        await runDemo({
          ...(values['no-color'] ? { color: false } : {}),
          ...(values.headless ? { headless: true } : {}),
          ...(port === undefined ? {} : { port }),
        });
        return 0;
      }
      case 'viz': {
        const port = numberFlag(values.port, '--port', 0, 65_535);
        if (typeof port === 'string') return usage(port);
        const size = numberFlag(values.size, '--size', 1, 1_000_000);
        if (typeof size === 'string') return usage(size);
        return await runViz({
          ...(values.spec === undefined ? {} : { spec: values.spec }),
          ...(size === undefined ? {} : { size }),
          ...(port === undefined ? {} : { port }),
        });
      }
      case 'host':
        if (values.node === undefined) return usage('host needs --node <id>.');
        return await runHost({ ...pick(values), nats, node: values.node, auth });
      case 'run': {
        if (values.spec === undefined) return usage('run needs --spec <file>.');
        const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
        if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
          return usage(`--timeout must be a duration > 0 in ms; got ${values.timeout}.`);
        }
        const port = numberFlag(values.port, '--port', 0, 65_535);
        if (typeof port === 'string') return usage(port);
        return await runRoot({
          ...pick(values),
          ...(values.viz ? { vizPort: port ?? 0 } : {}),
          nats,
          spec: values.spec,
          commands: values.command ?? [],
          auth,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        });
      }
      case 'permissions': {
        if (values.spec === undefined) return usage('permissions needs --spec <file>.');
        const file = await loadSpecFile(values.spec);
        const tree = values.tree ?? file.tree ?? DEFAULT_TREE_NAME;
        const permissions = subjectPermissions(tree, file.root, values.node);
        process.stdout.write(`${JSON.stringify(permissions, null, 2)}\n`);
        return 0;
      }
      default:
        return usage(`Unknown command "${command}".`);
    }
  } catch (error) {
    process.stderr.write(`fractal-coord ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** An integer flag in [min, max], undefined if absent, or the error message. */
function numberFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined | string {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max
    ? n
    : `${flag} must be an integer from ${min} to ${max}; got ${value}.`;
}

/** The optional string flags passed on as they are. */
function pick(values: Record<string, unknown>) {
  const out: { spec?: string; tree?: string; parent?: string; handler?: string; payload?: string } =
    {};
  for (const key of ['spec', 'tree', 'parent', 'handler', 'payload'] as const) {
    if (typeof values[key] === 'string') out[key] = values[key];
  }
  return out;
}

/** Credentials from flags, else from the standard NATS environment variables. */
function authFrom(values: Record<string, unknown>): NatsAuth {
  const flag = (key: string, env: string): string | undefined =>
    typeof values[key] === 'string' ? values[key] : process.env[env] || undefined;
  const auth: { -readonly [K in keyof NatsAuth]: NatsAuth[K] } = {};
  const token = flag('token', 'NATS_TOKEN');
  const user = flag('user', 'NATS_USER');
  const password = flag('password', 'NATS_PASSWORD');
  const nkey = flag('nkey', 'NATS_NKEY');
  const creds = flag('creds', 'NATS_CREDS');
  if (token !== undefined) auth.token = token;
  if (user !== undefined) auth.user = user;
  if (password !== undefined) auth.password = password;
  if (nkey !== undefined) auth.nkey = nkey;
  if (creds !== undefined) auth.creds = creds;
  return auth;
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
