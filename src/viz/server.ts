/**
 * The visualizer's server: the page in `visualizer/` over HTTP on 127.0.0.1, and the tree's
 * public event stream and controls over one WebSocket (`/events`, see `protocol.ts`). It only
 * uses the tree's public API, so it serves a tree in this process and the root process of a
 * tree spread over NATS alike.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TreeEvent } from '../runtime/events.js';
import type { CoordinationTree } from '../runtime/treeTypes.js';
import type { FaultInjectingTransport } from '../testing/FaultInjectingTransport.js';
import {
  MESSAGES_PER_BATCH,
  type ClientMessage,
  type ControlAction,
  type ServerMessage,
} from './protocol.js';

/** Options of {@link startVisualizer}. */
export interface VisualizerOptions {
  readonly tree: CoordinationTree;
  /** The tree's fault injector, if any: enables the partition and heal controls. */
  readonly faults?: FaultInjectingTransport;
  /** Shown in the page's title. Default 'fractal-coord'. */
  readonly treeName?: string;
  /** TCP port on 127.0.0.1. Default 0: a free one (the URL says which). */
  readonly port?: number;
  /** Only watch: no control changes the tree. Default false. */
  readonly readOnly?: boolean;
  /** How often events go to the page, ms. Default 100. */
  readonly batchMs?: number;
}

/** A running visualizer. */
export interface Visualizer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** Stops serving and closes every page's socket. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves the visualizer for `tree`; resolves once it listens. */
export async function startVisualizer(options: VisualizerOptions): Promise<Visualizer> {
  const { tree, faults } = options;
  const pageDir = findPageDir();
  const d3File = join(
    dirname(createRequire(import.meta.url).resolve('d3-hierarchy')),
    'd3-hierarchy.min.js',
  );
  const controls: ControlAction[] = options.readOnly
    ? ['snapshot']
    : ['command', 'kill', 'revive', 'recover', 'shutdown', 'snapshot'];
  if (faults && !options.readOnly) controls.push('partition', 'heal');

  const http = createServer((request, response) => {
    void serveFile(request, response, pageDir, d3File);
  });
  const sockets = new WebSocketServer({
    server: http,
    path: '/events',
    // Only pages this server served may connect: another site open in the browser must not
    // drive the tree (cross-site WebSocket hijacking).
    verifyClient: ({ origin, req }: { origin: string | undefined; req: IncomingMessage }) =>
      origin === undefined || origin === `http://${req.headers.host ?? ''}`,
  });
  const send = (socket: WebSocket, message: ServerMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message, replacer));
  };
  const broadcast = (message: ServerMessage): void => {
    for (const socket of sockets.clients) send(socket, message);
  };

  // Events are batched per frame; `message` events (every envelope) are sampled.
  let pending: TreeEvent[] = [];
  let messagesInBatch = 0;
  let messagesSkipped = 0;
  let resnapshot = false;
  const subscription = tree.events$.subscribe({
    next: (event) => {
      if (sockets.clients.size === 0) return;
      if (event.type === 'message') {
        if (messagesInBatch >= MESSAGES_PER_BATCH) {
          messagesSkipped++;
          return;
        }
        messagesInBatch++;
      }
      if (event.type === 'node' && (event.change === 'added' || event.change === 'removed'))
        resnapshot = true;
      pending.push(event);
    },
    complete: () => {
      flush();
      broadcast({ type: 'closed' });
    },
  });
  const flush = (): void => {
    if (pending.length > 0 || messagesSkipped > 0) {
      broadcast({ type: 'events', events: pending, messagesSkipped });
    }
    if (resnapshot) broadcast({ type: 'snapshot', snapshot: tree.snapshot() });
    pending = [];
    messagesInBatch = 0;
    messagesSkipped = 0;
    resnapshot = false;
  };
  const ticker = setInterval(flush, options.batchMs ?? 100);
  ticker.unref();

  sockets.on('connection', (socket) => {
    send(socket, {
      type: 'hello',
      treeName: options.treeName ?? 'fractal-coord',
      snapshot: tree.snapshot(),
      controls,
    });
    if (tree.status === 'shutDown') send(socket, { type: 'closed' });
    socket.on('message', (data: Buffer) => {
      let request: ClientMessage;
      try {
        request = JSON.parse(data.toString('utf8')) as ClientMessage;
      } catch {
        return;
      }
      if (request?.type !== 'control' || typeof request.id !== 'number') return;
      void control(request).then(
        (value) => send(socket, { type: 'result', id: request.id, ok: true, value }),
        (error: unknown) =>
          send(socket, {
            type: 'result',
            id: request.id,
            ok: false,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    });
  });

  /** Runs one control request through the tree's public API. */
  async function control(request: ClientMessage): Promise<unknown> {
    if (!controls.includes(request.action)) {
      throw new Error(`${request.action} is not offered here (${controls.join(', ')}).`);
    }
    switch (request.action) {
      case 'command':
        return tree.command(String(request.name), request.payload);
      case 'kill':
        return tree.kill(String(request.nodeId));
      case 'revive':
        return tree.revive(String(request.nodeId));
      case 'recover':
        return tree.recover(String(request.nodeId));
      case 'partition':
        return faults!.partition(String(request.a), String(request.b), {
          oneWay: request.oneWay === true,
        });
      case 'heal':
        return faults!.heal(String(request.a), String(request.b));
      case 'shutdown':
        return tree.shutdown();
      case 'snapshot':
        setImmediate(() => broadcast({ type: 'snapshot', snapshot: tree.snapshot() }));
        return null;
    }
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      clearInterval(ticker);
      subscription.unsubscribe();
      for (const socket of sockets.clients) socket.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Maps (command outcomes) travel as plain objects. */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}

/** The page's directory: `visualizer/` at the package root (from `src/viz` or `dist/src/viz`). */
function findPageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = normalize(join(here, up, 'visualizer'));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error(`The visualizer page (visualizer/index.html) is missing near ${here}.`);
}

async function serveFile(
  request: IncomingMessage,
  response: ServerResponse,
  pageDir: string,
  d3File: string,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const file =
    path === '/vendor/d3-hierarchy.js'
      ? d3File
      : normalize(join(pageDir, path === '/' ? 'index.html' : decodeURIComponent(path)));
  if (file !== d3File && !file.startsWith(pageDir + sep)) {
    response.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    response.end(body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}
