import { createCoordinationTree, isCoordinationFailedError } from 'fractal-coord';

const tree = createCoordinationTree({
  root: {
    id: 'root',
    children: [
      { id: 'eu', children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
      { id: 'us', critical: true, children: [{ id: 'us-1' }] },
    ],
  },
  // Runs at every leaf; may return a promise. The signal fires on the deadline and on abort.
  handler: (command, { nodeId, signal }) => {
    signal.throwIfAborted();
    return `${nodeId} deployed v${(command.payload as { v: number }).v}`;
  },
  policy: { timeouts: { commandMs: 5_000 }, heartbeat: { intervalMs: 500 } },
});

tree.eventsOf('transition').subscribe((e) => {
  console.log(`${e.nodeId}: ${e.from} → ${e.to} (${e.reason})`);
});

try {
  console.log('root is', await tree.start()); // 'SYNCHRONIZED' (or 'DEGRADED')
} catch (error) {
  if (isCoordinationFailedError(error)) console.error('the tree did not start:', error.message);
  throw error;
}

const result = await tree.command('deploy', { v: 3 }, { timeoutMs: 5_000 });
console.log(result.status, result.counts); // completed { completed: 3, failed: 0, skipped: 0, timedOut: 0 }
console.log(result.outcomes.get('eu-1')); // { status: 'completed', result: 'eu-1 deployed v3' }

await tree.shutdown({ mode: 'drain' });
