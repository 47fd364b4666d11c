/**
 * `fractal-coord host`: runs one subtree of a tree spread over NATS. Its root answers a parent
 * in another process; the process ends when that parent shuts the subtree down (or on
 * SIGINT/SIGTERM, after a graceful shutdown of its own).
 */
import { createCoordinationTree } from '../runtime/createCoordinationTree.js';
import { hostedSpec, subtreeIds, validateSpec, type NodeSpec } from '../spec/treeSpec.js';
import { nodeSubject } from '../transport/nats/NatsTransport.js';
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

/** Options of {@link runHost}. */
export interface HostOptions {
  /** NATS server URL(s), comma-separated. */
  readonly nats: string;
  /** The node this host runs (with its subtree, per the spec). */
  readonly node: string;
  /** The whole tree's spec file; without it the host runs `node` as a single leaf. */
  readonly spec?: string;
  /** The node's parent; taken from the spec when there is one. */
  readonly parent?: string;
  /** The tree's name on the wire. Default: the spec file's `tree`, else `fractal-coord`. */
  readonly tree?: string;
  /** A module exporting the command handler. */
  readonly handler?: string;
  readonly auth: NatsAuth;
  readonly print?: Print;
}

/** Runs the host until its parent shuts it down or a signal stops it; resolves to the exit code. */
export async function runHost(options: HostOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const file = options.spec === undefined ? undefined : await loadSpecFile(options.spec);
  const { root, parent } = placement(options, file?.root);
  const treeName = options.tree ?? file?.tree ?? DEFAULT_TREE_NAME;
  const handler = await loadHandler(options.handler);
  const connection = await connectNats(
    await natsOptions(options.nats, `fractal-coord host ${options.node}`, options.auth),
  );
  logConnection(connection, print);
  // Listening before the first line: whoever reads it may signal at once.
  const stop = onStopSignal();
  const local = subtreeIds(validateSpec(root), root.id).length;
  const policy = file?.policy ? { policy: file.policy } : {};
  try {
    // A subtree whose parent went silent (crashed, or cut off for too long) is given up, and a
    // fresh one waits for the parent's next INIT: a restarted parent picks the host up again.
    for (;;) {
      const { transport } = natsTransport(connection, treeName);
      const tree = createCoordinationTree({ root, parent, handler, transport, ...policy });
      logTree(tree, print);
      print(
        `host ${root.id}: ${local} node(s) of tree ${treeName}, waiting for ${parent} on ${nodeSubject(treeName, root.id)}`,
      );
      tree.start().then(
        (state) => print(`host ${root.id}: joined ${parent}, ${state}`),
        () => {}, // shut down before it joined: `done` reports it
      );
      const signal = await Promise.race([tree.done.then(() => null), stop.signalled]);
      if (signal !== null) {
        print(`host ${root.id}: ${signal}, shutting down`);
        const result = await tree.shutdown();
        print(`host ${root.id}: shut down (${result.forced} forced)`);
        return 0;
      }
      const result = await tree.done;
      if (result.by !== 'parent-lost') {
        print(`host ${root.id}: shut down by ${parent} (${result.forced} forced)`);
        return 0;
      }
      print(
        `host ${root.id}: ${parent} silent for ${tree.policy.timeouts.heartbeatMs} ms, subtree given up; starting afresh`,
      );
    }
  } finally {
    stop.dispose();
    await connection.drain().catch(() => {});
  }
}

function placement(
  options: HostOptions,
  whole: NodeSpec | undefined,
): { root: NodeSpec; parent: string } {
  if (whole === undefined) {
    if (options.parent === undefined) {
      throw new Error(
        `Host ${options.node} needs its parent: give --spec <file> (the whole tree) or --parent <id>.`,
      );
    }
    return { root: { id: options.node }, parent: options.parent };
  }
  const hosted = hostedSpec(whole, options.node);
  if (options.parent !== undefined && options.parent !== hosted.parent) {
    throw new Error(
      `--parent ${options.parent} contradicts the spec, where ${options.node}'s parent is ${hosted.parent}.`,
    );
  }
  return hosted;
}
