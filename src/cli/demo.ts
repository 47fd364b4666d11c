/**
 * The demo: a three-level tree starts, runs commands, loses a node, degrades, recovers and
 * rides out a network partition, printing every state change as it happens. By default the
 * visualizer serves the tree at a local URL and the tree keeps running after the scenario, for
 * the page's controls, until Ctrl-C; headless, the scenario ends with a graceful shutdown.
 */
import type { CoordinationState, CoordinationTree, NodeSpec, TreeEvent } from '../index.js';
import {
  CLIENT_ID,
  createCoordinationTree,
  InProcessTransport,
  ReliableTransport,
} from '../index.js';
import { FaultInjectingTransport } from '../testing/index.js';
import { startVisualizer } from '../viz/server.js';
import { onStopSignal } from './cluster.js';

/** Demo options. */
export interface DemoOptions {
  /** Where lines go. Default `console.log`. */
  readonly print?: (line: string) => void;
  /** ANSI colours. Default: when stdout is a terminal. */
  readonly color?: boolean;
  /** Only the scripted scenario, ending in a shutdown; no visualizer. Default false. */
  readonly headless?: boolean;
  /** The visualizer's port on 127.0.0.1. Default 0: a free one (the URL is printed). */
  readonly port?: number;
  /** Rewrites one progress line in place while a command runs. Default: when stdout is a terminal. */
  readonly progress?: boolean;
  /** Where the progress line goes. Default: standard output. */
  readonly write?: (chunk: string) => void;
}

const SPEC: NodeSpec = {
  id: 'root',
  children: [
    { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }, { id: 'eu-3' }] },
    { id: 'us', critical: true, children: [{ id: 'us-1' }, { id: 'us-2' }] },
    { id: 'ap', children: [{ id: 'ap-1' }, { id: 'ap-2' }] },
  ],
};

const COLORS: Record<CoordinationState, string> = {
  DISCONNECTED: '\x1b[90m',
  CONNECTING: '\x1b[36m',
  SYNCHRONIZED: '\x1b[32m',
  DEGRADED: '\x1b[33m',
  FAILED: '\x1b[31m',
};

function depthOf(spec: NodeSpec): Map<string, number> {
  const depths = new Map<string, number>();
  const walk = (node: NodeSpec, depth: number): void => {
    depths.set(node.id, depth);
    node.children?.forEach((child) => walk(child, depth + 1));
  };
  walk(spec, 0);
  return depths;
}

/** Runs the scripted scenario; resolves once the tree is shut down. */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const color = options.color ?? process.stdout.isTTY === true;
  const paint = (state: CoordinationState): string =>
    color ? `${COLORS[state]}${state}\x1b[0m` : state;
  const started = Date.now();
  const stamp = (): string => `+${((Date.now() - started) / 1000).toFixed(3)}s`;
  const depths = depthOf(SPEC);
  // A progress line, while shown, is cleared before each printed line and drawn again after it.
  let redraw = (): void => {};
  let clearProgress = (): void => {};
  const say = (line: string): void => {
    clearProgress();
    print(`${stamp()}  ${line}`);
    redraw();
  };

  // The network: in-process, with faults injected on demand, under reliable delivery.
  const faults = new FaultInjectingTransport(new InProcessTransport(), { seed: 1 });
  const runs = new Map<string, number>();
  const tree: CoordinationTree = createCoordinationTree({
    root: SPEC,
    transport: new ReliableTransport(faults, { resendInitialMs: 50, resendMaxMs: 400 }),
    handler: async (command, { nodeId, signal }) => {
      const run = `${nodeId}:${command.id}`;
      runs.set(run, (runs.get(run) ?? 0) + 1);
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 20 + Math.random() * 30);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      });
      return `${nodeId} ran ${command.name}`;
    },
    policy: {
      heartbeat: { intervalMs: 200, acceptablePauseMs: 1_000 },
      timeouts: { heartbeatMs: 2_000, initMs: 3_000, commandMs: 3_000, shutdownMs: 3_000 },
      retry: { initialDelayMs: 200, maxDelayMs: 1_000 },
    },
  });

  // The progress of the running command: leaves that answered, rewritten in place.
  const showProgress = options.progress ?? process.stdout.isTTY === true;
  const write = options.write ?? ((chunk: string) => void process.stdout.write(chunk));
  let running: { id: string; name: string; leaves: number; done: number } | null = null;
  let shown = false;
  const progress = (): void => {
    if (!showProgress || running === null || running.done === 0) return;
    write(`\r\x1b[2K  … "${running.name}": ${running.done}/${running.leaves} leaves answered`);
    shown = true;
  };
  clearProgress = () => {
    if (shown) write('\r\x1b[2K');
    shown = false;
  };
  redraw = progress;
  const endProgress = (): void => {
    clearProgress();
    running = null;
  };
  tree.eventsOf('command', 'transition', 'node', 'fault').subscribe((event: TreeEvent) => {
    if (event.type === 'command') {
      if (event.phase === 'issued' && event.nodeId === CLIENT_ID) {
        const leaves = tree.snapshot().nodes[SPEC.id]?.subtree.leaves ?? 0;
        running = { id: event.commandId, name: event.name, leaves, done: 0 };
      } else if (event.phase === 'executed' && event.commandId === running?.id) {
        running.done++;
        progress();
      }
      return;
    }
    if (event.type === 'transition') {
      const indent = '  '.repeat(depths.get(event.nodeId) ?? 0);
      say(
        `${indent}${event.nodeId.padEnd(8 - indent.length + 6)} ${paint(event.from)} → ${paint(event.to)}   ${event.reason}`,
      );
    } else if (event.type === 'node') {
      say(`⚡ ${event.nodeId} ${event.change}`);
    } else if (event.type === 'fault' && (event.fault === 'partition' || event.fault === 'heal')) {
      say(
        `${event.fault === 'partition' ? '✂' : '⚭'} link ${event.from} ↔ ${event.to} ${event.fault === 'partition' ? 'cut' : 'healed'}`,
      );
    }
  });

  const command = async (name: string, meanwhile?: () => Promise<void>): Promise<string> => {
    say(`▶ command "${name}" issued at the root`);
    const t0 = Date.now();
    const pending = tree.command(name, { at: new Date().toISOString() });
    await meanwhile?.();
    const result = await pending;
    endProgress();
    const { completed, failed, skipped, timedOut } = result.counts;
    say(
      `◀ command "${name}" ${result.status} in ${Date.now() - t0} ms: ` +
        `${completed} completed, ${failed} failed, ${skipped} skipped, ${timedOut} timed out`,
    );
    return result.commandId;
  };
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const waitFor = async (
    nodeId: string,
    state: CoordinationState,
    maxMs: number,
  ): Promise<void> => {
    const deadline = Date.now() + maxMs;
    while (tree.stateOf(nodeId) !== state && Date.now() < deadline) await pause(50);
  };

  print('fractal-coord demo: a 3-level tree of 11 nodes (us is critical), in this process\n');
  const visualizer = options.headless
    ? null
    : await startVisualizer({ tree, faults, treeName: 'demo', port: options.port ?? 0 });
  if (visualizer) print(`visualizer: ${visualizer.url}  (open it in a browser)\n`);
  say(`root started: ${await tree.start()}`);
  await command('deploy');
  say('✖ crashing eu-2 (it stops answering; eu notices by missed heartbeats)');
  tree.kill('eu-2');
  await waitFor('eu', 'DEGRADED', 5_000);
  await command('deploy');
  say('↻ eu-2 restarts; eu re-initialises it on its next recovery round');
  tree.revive('eu-2');
  await waitFor('root', 'SYNCHRONIZED', 5_000);
  await command('deploy');
  say('✂ the link ap ↔ ap-2 is cut while a command runs, and heals 600 ms later');
  const commandId = await command('migrate', async () => {
    await pause(5);
    faults.partition('ap', 'ap-2');
    await pause(600);
    faults.heal('ap', 'ap-2');
  });
  const migrations = runs.get(`ap-2:${commandId}`) ?? 0;
  say(
    `  ap-2 ran "migrate" ${migrations === 1 ? 'once' : `${migrations} times`}; nothing was lost`,
  );
  if (visualizer) {
    say('scenario done; the tree keeps running for the visualizer: Ctrl-C stops it');
    const stop = onStopSignal();
    await Promise.race([stop.signalled, tree.done]);
    stop.dispose();
  }
  say('■ shutting down (drain)');
  const result = await tree.shutdown({ mode: 'drain' });
  await visualizer?.close();
  say(
    `shutdown ${result.graceful ? 'graceful' : 'forced'}; ${tree.stats.sent} messages sent, ${tree.stats.handlerRuns} handler runs`,
  );
}
