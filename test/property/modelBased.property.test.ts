import fc from 'fast-check';
import { describe, it } from 'vitest';
import { treeArbitrary } from './support/treeArbitraries.js';
import {
  quiesceAndShutDown,
  setup,
  start,
  transitionCounts,
  treeCommands,
} from './support/treeModel.js';
import { PROPERTY_TIMEOUT_MS, propertyParameters } from './support/parameters.js';

describe('a coordination tree against its model (fc.commands)', () => {
  const parameters = propertyParameters('model', 300);
  it(
    `should keep the invariants through start, commands, crashes, partitions, recovery and shutdown (seed ${parameters.seed})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          treeArbitrary(1, 12),
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.commands(treeCommands, { maxCommands: 25 }),
          async (tree, seed, commands) => {
            const { model, real } = setup(tree, seed);
            await start.run(model, real);
            await fc.asyncModelRun(() => ({ model, real }), commands);
            await quiesceAndShutDown(model, real);
          },
        ),
        parameters,
      );
      console.log(
        `model runs: transitions fired ${[...transitionCounts].map(([edge, n]) => `${edge} ${n}`).join(', ')}`,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
