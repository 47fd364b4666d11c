/**
 * `fractal-coord run`: runs the root of a tree spread over NATS (and every node the spec does
 * not mark remote). It issues the `--command`s given, or reads commands from standard input
 * one per line (`name [json payload]`, `status`, `quit`), then shuts the whole tree down.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createCoordinationTree } from '../runtime/createCoordinationTree.js';
import type { CommandResult } from '../runtime/commandTypes.js';
import type { CoordinationTree } from '../runtime/treeTypes.js';
import {
  DEFAULT_TREE_NAME,
  loadHandler,
  logConnection,
  logTree,
  natsTransport,
  onStopSignal,
  type Print,
} from './cluster.js';
import { connectNats, natsOptions, type NatsAuth } from './natsConnect.js';
import { loadSpecFile } from './specFile.js';
import { startVisualizer } from '../viz/server.js';

/** Options of {@link runRoot}. */
export interface RunOptions {
  /** NATS server URL(s), comma-separated. */
  readonly nats: string;
  /** The whole tree's spec file, remote nodes marked. */
  readonly spec: string;
  /** The tree's name on the wire. Default: the spec file's `tree`, else `fractal-coord`. */
  readonly tree?: string;
  /** A module exporting the command handler of the local leaves. */
  readonly handler?: string;
  /** Commands to issue in order, then shut down. None: read them from `input`. */
  readonly commands: readonly string[];
  /** JSON payload of every `--command`. */
  readonly payload?: string;
  /** Budget of each command, ms. Default: the policy's `timeouts.commandMs`. */
  readonly timeoutMs?: number;
  readonly auth: NatsAuth;
  readonly print?: Print;
  /** Where interactive commands come from. Default: standard input. */
  readonly input?: Readable;
  /** Serve the visualizer for the tree on this port of 127.0.0.1 (0: a free one). Default: none. */
  readonly vizPort?: number;
}

/** Runs the root; resolves to the exit code (1 if a `--command` did not complete everywhere). */
export async function runRoot(options: RunOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const file = await loadSpecFile(options.spec);
  const payload = parsePayload(options.payload);
  const treeName = options.tree ?? file.tree ?? DEFAULT_TREE_NAME;
  const handler = await loadHandler(options.handler);
  const connection = await connectNats(
    await natsOptions(options.nats, `fractal-coord run ${file.root.id}`, options.auth),
  );
  const { transport } = natsTransport(connection, treeName);
  const tree = createCoordinationTree({
    root: file.root,
    handler,
    transport,
    ...(file.policy ? { policy: file.policy } : {}),
  });
  logTree(tree, print);
  logConnection(connection, print);
  const visualizer =
    options.vizPort === undefined
      ? null
      : await startVisualizer({ tree, treeName, port: options.vizPort });
  if (visualizer) print(`visualizer: ${visualizer.url}`);
  const remote = Object.values(tree.snapshot().nodes).filter((n) => n.reason.startsWith('remote'));
  print(
    `run ${file.root.id}: tree ${treeName}, remote: ${remote.map((n) => n.id).join(', ') || 'none'}`,
  );
  let ok = true;
  try {
    print(`tree is ${await tree.start()}`);
  } catch (error) {
    print((error as Error).message);
    ok = false;
  }
  if (ok && options.commands.length > 0) {
    for (const name of options.commands) {
      const result = await tree.command(name, payload, commandOptions(options));
      report(name, result, print);
      if (result.status !== 'completed') ok = false;
    }
  } else if (ok) {
    await interactive(tree, options, print);
  }
  const shutdown = await tree.shutdown();
  await visualizer?.close();
  await connection.drain().catch(() => {});
  print(
    `tree shut down (${shutdown.forced} forced${shutdown.graceful ? '' : ', root did not answer'})`,
  );
  return ok ? 0 : 1;
}

/** Reads commands until `quit`, the end of input, or a signal. */
async function interactive(tree: CoordinationTree, options: RunOptions, print: Print) {
  print('commands: <name> [json payload] | status | quit');
  const lines = createInterface({ input: options.input ?? process.stdin, terminal: false });
  const stop = onStopSignal();
  void stop.signalled.then(() => lines.close());
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line === 'quit') break;
    if (line === 'status') {
      for (const node of Object.values(tree.snapshot().nodes)) {
        const where = node.reason.startsWith('remote')
          ? ` (remote, ${node.subtree.nodes} nodes, ${node.subtree.leaves} leaves)`
          : '';
        print(`  ${node.id}: ${node.state}${where}`);
      }
      continue;
    }
    const space = line.indexOf(' ');
    const name = space < 0 ? line : line.slice(0, space);
    try {
      const payload = space < 0 ? undefined : parsePayload(line.slice(space + 1));
      report(name, await tree.command(name, payload, commandOptions(options)), print);
    } catch (error) {
      print((error as Error).message);
    }
  }
  stop.dispose();
}

function commandOptions(options: RunOptions) {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
}

function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`The payload must be JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The summary line, then one line per leaf or subtree outcome. */
function report(name: string, result: CommandResult, print: Print): void {
  print(summary(name, result));
  for (const [nodeId, outcome] of result.outcomes) {
    const detail =
      outcome.status === 'completed'
        ? JSON.stringify(outcome.result)
        : outcome.status === 'failed'
          ? `failed: ${outcome.error.message}`
          : `${outcome.status} (${outcome.leaves} leaves)`;
    print(`  ${nodeId}: ${detail}`);
  }
}

/** One line per command: its status and leaf counts. */
export function summary(name: string, result: CommandResult): string {
  const c = result.counts;
  return `command ${name}: ${result.status} (${c.completed} completed, ${c.failed} failed, ${c.skipped} skipped, ${c.timedOut} timed out)`;
}
