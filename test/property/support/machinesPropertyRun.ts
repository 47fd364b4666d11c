/**
 * How the machine properties run: how many runs, and the seed and path to replay one with.
 */

/** Runs per property: 300 in the normal suite, 20 000 in the deep run (`FC_DEEP=1`). */
export const numRuns = process.env.FC_DEEP ? 20_000 : 300;

/** Time allowed for one property's whole run, in ms: 1 min, or 30 min in the deep run. */
export const propertyTimeoutMs = process.env.FC_DEEP ? 1_800_000 : 60_000;

/** Settings for `fc.assert`, with the seed chosen up front so that a test title can carry it. */
export interface PropertyRun {
  readonly numRuns: number;
  readonly seed: number;
  readonly path?: string;
}

/**
 * The run settings (at least `minRuns` runs): `FC_SEED` and `FC_PATH` replay a run when set;
 * otherwise a fresh seed, drawn the way fast-check draws its own.
 */
export function propertyRun(minRuns = 0): PropertyRun {
  const seed = process.env.FC_SEED
    ? Number(process.env.FC_SEED)
    : Date.now() ^ (Math.random() * 0x100000000);
  const path = process.env.FC_PATH;
  const runs = Math.max(numRuns, minRuns);
  return path ? { numRuns: runs, seed, path } : { numRuns: runs, seed };
}

/** `(seed 123)`, for a test title: the seed to replay the property with `FC_SEED`. */
export function seedLabel(run: PropertyRun): string {
  return run.path ? `(seed ${run.seed}, path ${run.path})` : `(seed ${run.seed})`;
}

/** Logs the seed (and path) a property runs with, once, so that it can be replayed. */
export function logSeed(property: string, run: PropertyRun): void {
  const replay = `FC_SEED=${run.seed}${run.path ? ` FC_PATH=${run.path}` : ''}`;
  console.log(`[${property}] ${run.numRuns} runs, replay with ${replay}`);
}
