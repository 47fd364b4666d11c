/**
 * Cross-process figure: leaf executions per second of a tree spread over NATS on loopback,
 * beside raw NATS request/reply on the same server as the floor.
 *
 * A private `nats-server` runs on 127.0.0.1 and a random port. The tree's root runs in this
 * process; its 4 children are `fractal-coord host` processes with 25 leaves each (100 leaves).
 * The floor is one requester here and 4 responder processes with 25 subscriptions each, so both
 * sides cross the same process boundaries and share the CPUs alike. A round is one command to
 * every leaf; on the floor, one request to every leaf subscription. Beside the floor, each
 * responder also answers for its 25 leaves in one reply to one request, which is the traffic a
 * host's own round costs on the wire (a command batch in, one answer out). Each is measured one
 * round at a time and with several rounds in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from 'nats';
import { NatsServerMissingError, startNatsServer, type NatsServer } from '../src/testing/index.js';
import {
  createCoordinationTree,
  NatsTransport,
  ReliableTransport,
  type CoordinationPolicy,
  type CoordinationTree,
  type NodeSpec,
} from '../src/index.js';

const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));
const TREE_NAME = 'bench';
const HOSTS = 4;
const LEAVES_PER_HOST = 25;
const LEAVES = HOSTS * LEAVES_PER_HOST;
/** Rounds in flight at once in the pipelined shape. */
const PIPELINED = 8;
/** How long a child process may take to come up (tsx compiles on start), ms. */
const SPAWN_TIMEOUT_MS = 60_000;
/** How long a host may take to exit once its parent shut it down, ms. */
const EXIT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** Policy of every process of the bench tree (it travels in the spec file). */
const POLICY: CoordinationPolicy = {
  timeouts: { initMs: 30_000, commandMs: 30_000, shutdownMs: 10_000 },
};

/** One concurrency shape of one side, measured. */
export interface NatsPhase {
  /** Rounds in flight at once. */
  readonly inFlight: number;
  readonly rounds: number;
  /** Rounds in which some leaf (request) did not complete. */
  readonly incompleteRounds: number;
  /** Leaf executions (raw: leaf answers) completed. */
  readonly units: number;
  readonly wallMs: number;
  /** `units` per second of wall time. */
  readonly perSecond: number;
  readonly roundMedianMs: number;
  readonly roundP99Ms: number;
  /** Messages the server received per unit (its `in_msgs`), everything on the wire included. */
  readonly natsMsgsPerUnit: number;
}

/** Both concurrency shapes of one side. */
export interface NatsShapes {
  readonly sequential: NatsPhase;
  readonly pipelined: NatsPhase;
}

/** One printed row: one side in one concurrency shape. */
export interface NatsRow {
  shape: string;
  inFlight: number;
  side: string;
  /** Leaf executions (fractal-coord) or leaf answers (raw) per second. */
  leavesPerSec: number;
  /** fractal-coord's leavesPerSec over this row's. */
  fcRatio: number;
  roundMedianMs: number;
  roundP99Ms: number;
  natsMsgsPerLeaf: number;
}

/** What {@link benchNats} measured, or why it did not. */
export type NatsResults =
  | { readonly skipped: string }
  | {
      readonly server: string;
      readonly hosts: number;
      readonly leaves: number;
      readonly phaseMs: number;
      readonly fractalCoord: NatsShapes;
      /** The floor: one request/reply per leaf. */
      readonly raw: NatsShapes;
      /** One request/reply per host process, answering for its leaves at once. */
      readonly rawPerHost: NatsShapes;
      /** Hosts that did not exit by themselves after the tree shut down. */
      readonly hostsKilled: number;
      readonly rows: NatsRow[];
    };

export interface NatsBenchOptions {
  /** A short run: a second per shape. */
  readonly quick: boolean;
  readonly print?: (line: string) => void;
}

/** Runs the NATS figures; resolves to `{ skipped }` when `nats-server` is not installed. */
export async function benchNats(options: NatsBenchOptions): Promise<NatsResults> {
  const print = options.print ?? ((line: string) => console.log(line));
  const warmMs = options.quick ? 300 : 2_000;
  const phaseMs = options.quick ? 1_000 : 10_000;
  let server: NatsServer;
  try {
    server = await startNatsServer({ monitor: true });
  } catch (error) {
    if (!(error instanceof NatsServerMissingError)) throw error;
    print(`NATS figure skipped: ${error.message}`);
    return { skipped: error.message };
  }
  const varz = `${server.monitorUrl!}/varz`;
  /** Messages the server has received so far. */
  const inMsgs = async (): Promise<number> =>
    ((await (await fetch(varz)).json()) as { in_msgs: number }).in_msgs;
  const children: Child[] = [];
  let connection: NatsConnection | undefined;
  let tree: CoordinationTree | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'fc-bench-'));
  try {
    const spec = benchSpec();
    const specFile = join(dir, 'bench-tree.json');
    await writeFile(specFile, JSON.stringify({ tree: TREE_NAME, policy: POLICY, root: spec }));
    const hostIds = (spec.children ?? []).map((c) => c.id);

    // Every child process starts at once (idle ones cost nothing measurable).
    const responders = hostIds.map((id) =>
      spawnChild(`responder ${id}`, [
        'bench/natsResponder.ts',
        server.url,
        `raw.${id}`,
        ...leafIds(id).map((leaf) => `raw.${id}.${leaf}`),
      ]),
    );
    const hosts = hostIds.map((id) =>
      spawnChild(`host ${id}`, [
        'src/cli/main.ts',
        'host',
        '--nats',
        server.url,
        '--spec',
        specFile,
        '--node',
        id,
      ]),
    );
    children.push(...responders, ...hosts);
    await Promise.all([
      ...responders.map((r) => r.waitFor(/^ready$/m)),
      ...hosts.map((h) => h.waitFor(/waiting for/)),
    ]);

    connection = await connect({ servers: server.url, name: 'bench root' });
    const requester = connection;
    const drive = (round: Round, inFlight: number, ms: number) =>
      measure(round, inFlight, ms, inMsgs);
    const shapes = async (round: Round): Promise<NatsShapes> => ({
      sequential: await drive(round, 1, phaseMs),
      pipelined: await drive(round, PIPELINED, phaseMs),
    });

    // The floor: raw request/reply to every leaf subscription per round; beside it, one
    // request/reply per responder process answering for its leaves at once (fractal-coord's
    // traffic shape: a host gets a round's command in one message and answers in one).
    const payload = new TextEncoder().encode('bench');
    const rawRound =
      (subjects: readonly string[], leavesPerReply: number): Round =>
      async () => {
        const replies = await Promise.allSettled(
          subjects.map((s) => requester.request(s, payload, { timeout: REQUEST_TIMEOUT_MS })),
        );
        const answered = replies.filter((r) => r.status === 'fulfilled').length;
        return { units: answered * leavesPerReply, complete: answered === subjects.length };
      };
    const perLeaf = rawRound(
      hostIds.flatMap((id) => leafIds(id).map((leaf) => `raw.${id}.${leaf}`)),
      1,
    );
    const perHost = rawRound(
      hostIds.map((id) => `raw.${id}`),
      LEAVES_PER_HOST,
    );
    await drive(perLeaf, 1, warmMs);
    const raw = await shapes(perLeaf);
    await drive(perHost, 1, warmMs);
    const rawPerHost = await shapes(perHost);
    await Promise.all(responders.map((r) => r.stop()));

    // fractal-coord: the root here, its children in the host processes.
    tree = createCoordinationTree({
      root: spec,
      handler: () => 'ok', // every leaf runs in a host
      transport: new ReliableTransport(new NatsTransport({ connection, tree: TREE_NAME })),
      policy: POLICY,
    });
    const live = tree;
    const started = await live.start();
    if (started !== 'SYNCHRONIZED') print(`bench tree started ${started}`);
    const fcRound: Round = async () => {
      const result = await live.command('bench');
      return { units: result.counts.completed, complete: result.status === 'completed' };
    };
    await drive(fcRound, 1, warmMs);
    const fractalCoord = await shapes(fcRound);
    const shutdown = await live.shutdown();
    await connection.drain();
    if (!shutdown.graceful) print('bench tree: the root did not shut down gracefully');
    const exits = await Promise.all(hosts.map((h) => h.exited(EXIT_TIMEOUT_MS)));
    const hostsKilled = exits.filter((exited) => !exited).length;
    if (hostsKilled > 0) print(`${hostsKilled} host(s) did not exit after shutdown; killed`);

    const rows = (['sequential', 'pipelined'] as const).flatMap((shape) => {
      const fc = fractalCoord[shape];
      return [
        row(shape, 'fractal-coord', fc, fc),
        row(shape, 'raw req/reply per leaf', raw[shape], fc),
        row(shape, 'raw req/reply per host', rawPerHost[shape], fc),
      ];
    });
    print(
      `\nNATS on loopback (nats-server ${server.version}), ${phaseMs / 1000} s per shape: ` +
        `fractal-coord with the root here and ${HOSTS} host processes of ${LEAVES_PER_HOST} leaves ` +
        `(${LEAVES} leaves); the raw floor from here to ${HOSTS} responder processes, one ` +
        `request per leaf, or one per process answering for its ${LEAVES_PER_HOST} leaves. ` +
        `A round reaches every leaf; ${PIPELINED} rounds in flight when pipelined.`,
    );
    console.table(rows);
    for (const [side, measured] of [
      ['fractal-coord', fractalCoord],
      ['raw req/reply per leaf', raw],
      ['raw req/reply per host', rawPerHost],
    ] as const) {
      for (const phase of [measured.sequential, measured.pipelined]) {
        if (phase.incompleteRounds > 0) {
          print(
            `${side}, ${phase.inFlight} in flight: ${phase.incompleteRounds} of ${phase.rounds} rounds did not reach every leaf`,
          );
        }
      }
    }
    return {
      server: server.version,
      hosts: HOSTS,
      leaves: LEAVES,
      phaseMs,
      fractalCoord,
      raw,
      rawPerHost,
      hostsKilled,
      rows,
    };
  } finally {
    if (tree !== undefined && tree.status !== 'shutDown') {
      await tree.shutdown({ mode: 'abort', timeoutMs: 1_000 }).catch(() => {});
    }
    if (connection !== undefined && !connection.isClosed()) await connection.close();
    for (const child of children) child.kill();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A root with {@link HOSTS} remote children of {@link LEAVES_PER_HOST} leaves each. */
function benchSpec(): NodeSpec {
  return {
    id: 'root',
    children: Array.from({ length: HOSTS }, (_, i) => ({
      id: `h${i}`,
      remote: true,
      children: leafIds(`h${i}`).map((id) => ({ id })),
    })),
  };
}

function leafIds(hostId: string): string[] {
  return Array.from({ length: LEAVES_PER_HOST }, (_, j) => `${hostId}-l${j}`);
}

/** One round: how many units completed, and whether all did. */
type Round = () => Promise<{ units: number; complete: boolean }>;

/** Runs `round` from `inFlight` loops at once until `durationMs` has passed. */
async function measure(
  round: Round,
  inFlight: number,
  durationMs: number,
  inMsgs: () => Promise<number>,
): Promise<NatsPhase> {
  const times: number[] = [];
  let units = 0;
  let incompleteRounds = 0;
  const msgsBefore = await inMsgs();
  const t0 = performance.now();
  const end = t0 + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const r0 = performance.now();
      const result = await round();
      times.push(performance.now() - r0);
      units += result.units;
      if (!result.complete) incompleteRounds++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const wallMs = performance.now() - t0;
  const msgs = (await inMsgs()) - msgsBefore;
  times.sort((a, b) => a - b);
  const at = (q: number): number =>
    times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
  return {
    inFlight,
    rounds: times.length,
    incompleteRounds,
    units,
    wallMs: Math.round(wallMs),
    perSecond: Math.round(units / (wallMs / 1000)),
    roundMedianMs: round1(at(0.5)),
    roundP99Ms: round1(at(0.99)),
    natsMsgsPerUnit: Math.round((msgs / Math.max(1, units)) * 100) / 100,
  };
}

function row(shape: string, side: string, phase: NatsPhase, fc: NatsPhase): NatsRow {
  return {
    shape,
    inFlight: phase.inFlight,
    side,
    leavesPerSec: phase.perSecond,
    fcRatio: Math.round((fc.perSecond / phase.perSecond) * 1000) / 1000,
    roundMedianMs: phase.roundMedianMs,
    roundP99Ms: phase.roundP99Ms,
    natsMsgsPerLeaf: phase.natsMsgsPerUnit,
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** A child node process running a TypeScript entry point of this project through tsx. */
interface Child {
  /** Resolves once its output matches `pattern`; rejects if it exits or stays silent too long. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Closes its standard input and waits for it to exit; kills it past the timeout. */
  stop(): Promise<void>;
  /** Waits up to `timeoutMs` for it to exit by itself; kills it past that. Resolves true if it exited. */
  exited(timeoutMs: number): Promise<boolean>;
  /** Kills it now if it still runs. */
  kill(): void;
}

function spawnChild(label: string, args: readonly string[]): Child {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: PROJECT_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const exit = new Promise<void>((done) => {
    if (!running()) return done();
    child.once('exit', () => done());
  });
  const exitWithin = async (timeoutMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((done) => {
      timer = setTimeout(() => done(false), timeoutMs);
    });
    const exited = await Promise.race([exit.then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
    return exited;
  };
  return {
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output)) return;
          cleanup();
          resolve();
        };
        const onExit = (): void => {
          cleanup();
          reject(new Error(`${label} exited before it was ready:\n${output}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${label} was not ready within ${SPAWN_TIMEOUT_MS} ms:\n${output}`));
        }, SPAWN_TIMEOUT_MS);
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.off('exit', onExit);
        };
        child.stdout?.on('data', check);
        child.once('exit', onExit);
        check();
        if (!running()) onExit();
      }),
    stop: async () => {
      child.stdin?.end();
      await exitWithin(EXIT_TIMEOUT_MS);
    },
    exited: exitWithin,
    kill: () => {
      if (running()) child.kill('SIGKILL');
    },
  };
}
