/**
 * What `fractal-coord host` and `fractal-coord run` share: the tree over NATS (a
 * `NatsTransport` under a `ReliableTransport`, so nothing is lost across a reconnect), the
 * command handler, and a readable log of what happens.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Events, type NatsConnection } from 'nats';
import type { CommandHandler } from '../runtime/commandTypes.js';
import type { CoordinationTree } from '../runtime/treeTypes.js';
import { ReliableTransport } from '../reliability/ReliableTransport.js';
import { NatsTransport } from '../transport/nats/NatsTransport.js';

/** The default tree name on the wire. */
export const DEFAULT_TREE_NAME = 'fractal-coord';

/** Where a command's lines go. */
export type Print = (line: string) => void;

/** The transport stack of a process of a tree spread over NATS. */
export function natsTransport(connection: NatsConnection, tree: string) {
  const nats = new NatsTransport({ connection, tree });
  return { nats, transport: new ReliableTransport(nats) };
}

/** The handler leaves run when no `--handler` module is given: it answers who ran what. */
export const defaultHandler: CommandHandler = (command, { nodeId }) =>
  `${nodeId} ran ${command.name} (pid ${process.pid})`;

/**
 * Loads a handler module: its default export, or an export named `handler`, must be a
 * function `(command, context) => result`.
 */
export async function loadHandler(path: string | undefined): Promise<CommandHandler> {
  if (path === undefined) return defaultHandler;
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Cannot load the handler module ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const handler = module.default ?? module.handler;
  if (typeof handler !== 'function') {
    throw new Error(
      `${path} must export a function (command, context) => result, as its default export or as \`handler\`.`,
    );
  }
  return handler as CommandHandler;
}

/** Prints state changes of the tree's nodes and links. */
export function logTree(tree: CoordinationTree, print: Print): void {
  tree.eventsOf('transition', 'link').subscribe((event) => {
    if (event.type === 'transition') print(`${event.nodeId}: ${event.to} (${event.reason})`);
    if (event.type === 'link' && event.to === 'unreachable')
      print(`${event.nodeId}: child ${event.childId} is unreachable`);
  });
}

/** Prints the connection's comings and goings. */
export function logConnection(connection: NatsConnection, print: Print): void {
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) print(`nats: disconnected`);
      if (status.type === Events.Reconnect) print(`nats: reconnected`);
    }
  })();
}

/** Resolves on the first SIGINT or SIGTERM; the listeners are removed once it has. */
export function onStopSignal(): { readonly signalled: Promise<string>; dispose(): void } {
  let dispose = (): void => {};
  const signalled = new Promise<string>((done) => {
    const handler = (signal: string): void => {
      dispose();
      done(signal);
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
    dispose = () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  });
  return { signalled, dispose };
}
