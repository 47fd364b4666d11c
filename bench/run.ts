/**
 * Baseline figures for the in-process runtime: build + start to SYNCHRONIZED, heap per node
 * after GC, and one command round (root to every leaf and back), on trees of fan-out 10. Then
 * the cross-process figure (nats.ts): leaf executions per second through NATS on loopback,
 * beside raw NATS request/reply as the floor (skipped, saying so, without nats-server).
 *
 *   npm run bench                    1,111 / 11,111 / 111,111 nodes; NATS 10 s per shape
 *   npm run bench -- --quick         1,111 / 11,111 nodes; NATS 1 s per shape
 *   npm run bench -- --only nats     the NATS figure alone (with --quick: short); printed,
 *                                    not written to results.json
 *
 * Run with --expose-gc for heap figures (the npm script does). Every run but --only writes
 * bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createCoordinationTree, type NodeSpec } from '../src/index.js';
import { benchNats } from './nats.js';

function balancedTree(levels: number, fanOut: number): { spec: NodeSpec; nodes: number } {
  let nodes = 0;
  const build = (id: string, depth: number): NodeSpec => {
    nodes++;
    if (depth === levels - 1) return { id };
    return {
      id,
      children: Array.from({ length: fanOut }, (_, i) => build(`${id}.${i}`, depth + 1)),
    };
  };
  return { spec: build('n', 0), nodes };
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

interface Row {
  nodes: number;
  startMs: number;
  heapBytesPerNode: number | null;
  roundMedianMs: number;
  roundMaxMs: number;
  messagesPerSecond: number;
}

async function measure(levels: number, rounds: number): Promise<Row> {
  const { spec, nodes } = balancedTree(levels, 10);
  const before = heap();
  const tree = createCoordinationTree({
    root: spec,
    handler: () => 'ok',
    policy: {
      timeouts: { initMs: 120_000, commandMs: 120_000, ackMs: 60_000 },
      heartbeat: { intervalMs: 60_000 },
    },
  });
  const t0 = performance.now();
  await tree.start();
  const startMs = performance.now() - t0;
  const after = heap();
  const times: number[] = [];
  const sentBefore = tree.stats.sent;
  let roundTotal = 0;
  for (let i = 0; i < rounds; i++) {
    const r0 = performance.now();
    const result = await tree.command('bench');
    const elapsed = performance.now() - r0;
    if (result.status !== 'completed') throw new Error(`round ${i}: ${result.status}`);
    times.push(elapsed);
    roundTotal += elapsed;
  }
  const messages = tree.stats.sent - sentBefore;
  await tree.shutdown();
  times.sort((a, b) => a - b);
  return {
    nodes,
    startMs: Math.round(startMs),
    heapBytesPerNode: gc ? Math.round((after - before) / nodes) : null,
    roundMedianMs: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10,
    roundMaxMs: Math.round(times.at(-1)! * 10) / 10,
    messagesPerSecond: Math.round(messages / (roundTotal / 1000)),
  };
}

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? undefined : process.argv[onlyAt + 1];
if (onlyAt >= 0 && only !== 'nats') {
  console.error(`--only takes "nats"; got ${only ?? 'nothing'}.`);
  process.exit(2);
}
if (only === 'nats') {
  await benchNats({ quick });
} else {
  const sizes = quick ? [4, 5] : [4, 5, 6];
  const rows: Row[] = [];
  for (const levels of sizes) rows.push(await measure(levels, levels === 6 ? 3 : 7));
  console.table(rows);
  const nats = await benchNats({ quick });
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, rows, nats }, null, 2)}\n`,
  );
}
