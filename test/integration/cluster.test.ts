/**
 * A tree spread over processes: the root and three `fractal-coord host` processes, connected
 * by a real `nats-server` on a random loopback port, started and stopped here.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { startCli, stopAll, type CliProcess } from '../helpers/hostProcess.js';
import {
  createCoordinationTree,
  NatsTransport,
  ReliableTransport,
  type CommandResult,
  type CoordinationTree,
  type NodeSpec,
  type TreeEvent,
} from '../helpers/imports.js';

const SPEC_FILE = 'test/fixtures/cluster/tree.json';
const HANDLER = 'test/fixtures/cluster/recordingHandler.ts';
const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as {
  tree: string;
  policy: object;
  root: NodeSpec;
};
const REMOTE_LEAVES = ['eu-1', 'eu-2', 'us-1', 'us-2', 'ap-1'];
const ALL_LEAVES = [...REMOTE_LEAVES, 'local-1'];

/** Handler runs recorded by every process: `${nodeId}:${commandId}` → count. */
function executions(record: string, extra: readonly string[] = []): Map<string, number> {
  const counts = new Map<string, number>();
  const lines = existsSync(record) ? readFileSync(record, 'utf8').split('\n') : [];
  const keys = lines
    .filter((line) => line !== '')
    .map((line) => {
      const run = JSON.parse(line) as { nodeId: string; commandId: string };
      return `${run.nodeId}:${run.commandId}`;
    });
  for (const key of [...keys, ...extra]) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Resolves once `predicate` holds for the tree (checked on every event). */
function until(tree: CoordinationTree, predicate: () => boolean, what: string, timeoutMs = 30_000) {
  return new Promise<void>((resolve, reject) => {
    if (predicate()) return resolve();
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`not ${what} within ${timeoutMs} ms: ${JSON.stringify(tree.snapshot())}`));
    }, timeoutMs);
    const subscription = tree.events$.subscribe(() => {
      if (!predicate()) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    });
  });
}

describe('a tree across processes over NATS', () => {
  let server: NatsServer;
  let processes: CliProcess[] = [];
  let connection: NatsConnection | null = null;
  let record = '';

  beforeEach(async () => {
    server = await startNatsServer();
    record = join(mkdtempSync(join(tmpdir(), 'fc-cluster-')), 'executions.jsonl');
  });

  afterEach(async () => {
    await stopAll(processes);
    processes = [];
    await connection?.close();
    connection = null;
    await server.stop();
  });

  const host = (node: string): CliProcess => {
    const args = ['host', '--nats', server.url, '--spec', SPEC_FILE, '--node', node];
    const p = startCli([...args, '--handler', HANDLER], { FC_RECORD: record });
    processes.push(p);
    return p;
  };

  const startHosts = async () => {
    const hosts = { eu: host('eu'), us: host('us'), ap: host('ap') };
    await Promise.all(Object.values(hosts).map((h) => h.waitFor(/waiting for root/)));
    return hosts;
  };

  /** The root, run by this test process through the API. */
  const rootTree = async (local: string[]) => {
    connection = await connect({
      servers: server.url,
      reconnectTimeWait: 250,
      maxReconnectAttempts: -1,
    });
    const events: TreeEvent[] = [];
    const tree = createCoordinationTree({
      root: spec.root,
      policy: spec.policy,
      transport: new ReliableTransport(new NatsTransport({ connection, tree: spec.tree })),
      handler: (command, { nodeId }) => {
        local.push(`${nodeId}:${command.id}`);
        return `${nodeId} ran ${command.name}`;
      },
    });
    tree.events$.subscribe((event) => events.push(event));
    return { tree, events };
  };

  it('should form one tree of a root and three host processes, and complete commands across them', async () => {
    // Arrange
    const hosts = await startHosts();
    // Act
    const run = startCli(
      ['run', '--nats', server.url, '--spec', SPEC_FILE, '--handler', HANDLER].concat([
        '--command',
        'deploy',
        '--command',
        'check',
      ]),
      { FC_RECORD: record },
    );
    processes.push(run);
    const code = await run.exited;
    const hostCodes = await Promise.all(Object.values(hosts).map((h) => h.exited));
    // Assert
    expect(code, run.output()).toBe(0);
    expect(run.output()).toContain('tree is SYNCHRONIZED');
    expect(run.output()).toContain(
      'command deploy: completed (6 completed, 0 failed, 0 skipped, 0 timed out)',
    );
    expect(run.output()).toContain('command check: completed (6 completed');
    expect(hostCodes).toEqual([0, 0, 0]);
    expect(hosts.eu.output()).toContain('host eu: joined root, SYNCHRONIZED');
    expect(hosts.eu.output()).toMatch(/host eu: shut down by root \(0 forced\)/);
    const runs = executions(record);
    expect(runs.size).toBe(12);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    const pids = new Set(
      readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    expect(pids.size).toBe(4); // three hosts and the root's process
  });

  it('should run the README walkthrough: two hosts and an interactive root', async () => {
    // Arrange
    const spec = ['--spec', 'examples/cluster.json'];
    const hosts = ['eu', 'us'].map((node) =>
      startCli(['host', '--nats', server.url, ...spec, '--node', node]),
    );
    processes.push(...hosts);
    await Promise.all(hosts.map((h) => h.waitFor(/waiting for root/)));
    // Act
    const run = startCli(['run', '--nats', server.url, ...spec, '--viz'], {}, [
      [/commands: /, 'deploy {"version": 3}'],
      [/command deploy: /, 'status'],
      [/eu: SYNCHRONIZED \(remote/, 'quit'],
    ]);
    processes.push(run);
    await run.waitFor(/commands: /);
    const viz = /visualizer: (\S+)/.exec(run.output())![1]!;
    const page = await fetch(viz);
    // Assert
    expect(page.status).toBe(200);
    expect(await run.exited, run.output()).toBe(0);
    const readme = readFileSync('README.md', 'utf8');
    for (const line of [
      'run root: tree shop, remote: us, eu',
      'tree is SYNCHRONIZED',
      'command deploy: completed (4 completed, 0 failed, 0 skipped, 0 timed out)',
      '  us: SYNCHRONIZED (remote, 2 nodes, 1 leaves)',
      '  eu: SYNCHRONIZED (remote, 3 nodes, 2 leaves)',
      'tree shut down (0 forced)',
    ]) {
      expect(run.output()).toContain(line);
      expect(readme).toContain(line);
    }
    expect(run.output()).toMatch(/ {2}eu-1: "eu-1 ran deploy \(pid \d+\)"/);
    expect(await Promise.all(hosts.map((h) => h.exited))).toEqual([0, 0]);
  });

  it('should turn the parent DEGRADED when a host is killed with SIGKILL, and SYNCHRONIZED once it restarts', async () => {
    // Arrange
    const hosts = await startHosts();
    const local: string[] = [];
    const { tree, events } = await rootTree(local);
    expect(await tree.start()).toBe('SYNCHRONIZED');
    const before = await tree.command('before');
    // Act: kill -9
    const killedAt = Date.now();
    hosts.us.child.kill('SIGKILL');
    await until(tree, () => tree.stateOf('root') === 'DEGRADED', 'DEGRADED');
    const detectedMs = Date.now() - killedAt;
    const during = await tree.command('during');
    // Act: restart the host
    host('us');
    await until(tree, () => tree.stateOf('root') === 'SYNCHRONIZED', 'SYNCHRONIZED again');
    const after = await tree.command('after');
    const shutdown = await tree.shutdown();
    // Assert
    console.log(`host killed: parent DEGRADED after ${detectedMs} ms`);
    expect(before.status).toBe('completed');
    // The silence cap bounds detection whatever the failure detector learned, checked each round.
    const { heartbeatMs } = tree.policy.timeouts;
    expect(detectedMs).toBeLessThanOrEqual(heartbeatMs + tree.policy.heartbeat.maxIntervalMs);
    expect(
      events.some((e) => e.type === 'link' && e.childId === 'us' && e.to === 'unreachable'),
    ).toBe(true);
    expect(during.status).not.toBe('completed');
    expect(during.counts.completed + during.counts.skipped + during.counts.timedOut).toBe(6);
    expect(after.status).toBe('completed');
    expect(after.counts.completed).toBe(6);
    expect(shutdown.graceful).toBe(true);
    const runs = executions(record, local);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    for (const leaf of ALL_LEAVES) expect(runs.get(`${leaf}:${after.commandId}`)).toBe(1);
  });

  it('should give the hosted subtrees up when the root process is killed, and join a restarted root', async () => {
    // Arrange
    const hosts = await startHosts();
    const args = ['run', '--nats', server.url, '--spec', SPEC_FILE, '--handler', HANDLER];
    const first = startCli(args, { FC_RECORD: record }, [
      [/commands: /, 'deploy'],
      [/(?!)/, ''], // keeps its input open
    ]);
    processes.push(first);
    await first.waitFor(/command deploy: completed \(6 completed/);
    // Act
    first.child.kill('SIGKILL');
    await Promise.all(
      Object.values(hosts).map((h) => h.waitFor(/root silent for 3000 ms, subtree given up/)),
    );
    const second = startCli([...args, '--command', 'again'], { FC_RECORD: record });
    processes.push(second);
    // Assert
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain('command again: completed (6 completed');
    expect(await Promise.all(Object.values(hosts).map((h) => h.exited))).toEqual([0, 0, 0]);
    const runs = executions(record);
    expect(runs.size).toBe(12);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
  });

  it('should lose and duplicate no command across a nats-server restart', async () => {
    // Arrange
    await startHosts();
    const local: string[] = [];
    const { tree } = await rootTree(local);
    expect(await tree.start()).toBe('SYNCHRONIZED');
    const before = await tree.command('before');
    // Act: the server goes away, commands are issued, the server comes back on its port
    await server.stop();
    const duringOutage = [1, 2, 3].map((i) =>
      tree.command(`outage-${i}`, null, { timeoutMs: 8_000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    server = await startNatsServer([], server.port);
    const outcomes: CommandResult[] = await Promise.all(duringOutage);
    await until(tree, () => tree.stateOf('root') === 'SYNCHRONIZED', 'SYNCHRONIZED again');
    const after = await tree.command('after');
    await tree.shutdown();
    // Assert: every command settled; what completed ran once at every leaf; nothing ran twice
    const runs = executions(record, local);
    expect(before.status).toBe('completed');
    expect(after.status).toBe('completed');
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    // The root's own leaf is reached without the server.
    for (const o of outcomes) expect(o.outcomes.get('local-1')?.status).toBe('completed');
    for (const result of [before, ...outcomes, after]) {
      const total = Object.values(result.counts).reduce((a, b) => a + b, 0);
      expect(total).toBe(6);
      for (const [nodeId, outcome] of result.outcomes) {
        if (outcome.status === 'completed')
          expect(runs.get(`${nodeId}:${result.commandId}`)).toBe(1);
      }
    }
    const summary = outcomes.map((o) => `${o.status} (${o.counts.completed}/6 completed)`);
    console.log(`commands issued during the nats-server outage: ${summary.join(', ')}`);
  });
});
