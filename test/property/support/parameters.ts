/**
 * Run parameters of the property suites: a fixed budget in `npm test`, a deep one in
 * `npm run test:deep` (FC_DEEP=1), and replay of a failure from its seed and path
 * (FC_SEED=… FC_PATH=…). The seed is printed, so any run can be replayed.
 */
import type fc from 'fast-check';

/** fast-check parameters for a property of `name`, with `runs` runs in the normal suite. */
export function propertyParameters(
  name: string,
  runs: number,
): fc.Parameters<unknown> & { seed: number } {
  const seed = process.env['FC_SEED']
    ? Number(process.env['FC_SEED'])
    : Date.now() ^ (Math.random() * 0x100000000);
  const path = process.env['FC_PATH'];
  const numRuns = process.env['FC_DEEP'] ? 20_000 : runs;
  console.log(`property ${name}: seed ${seed}${path ? `, path ${path}` : ''}, ${numRuns} runs`);
  return { seed, numRuns, ...(path ? { path, endOnFailure: true } : {}) };
}

/** Time allowed for one property test, ms: its whole run of runs. */
export const PROPERTY_TIMEOUT_MS = process.env['FC_DEEP'] ? 3_600_000 : 180_000;
