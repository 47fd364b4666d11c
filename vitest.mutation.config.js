// @ts-check
/**
 * Vitest configuration for mutation testing (`stryker.config.json`,
 * `stryker.reliability.config.json`): the project's configuration, narrowed to the unit tests of
 * the mutated code so that each mutant runs in well under a second.
 *
 * The narrowing lives here rather than in Stryker's `testFiles` option: in Stryker 9.6 that option
 * makes static mutants (those evaluated when a module loads, such as a machine's configuration)
 * activate only after the module was imported, so they survive whatever the tests assert
 * (stryker-mutator/stryker-js#6144).
 */
import base from './vitest.config.ts';

export default {
  ...base,
  test: {
    ...base.test,
    include: ['test/unit/machines/**/*.test.ts', 'test/unit/reliability/**/*.test.ts'],
  },
};
