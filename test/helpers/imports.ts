/** What the tests import from the package, in one place. */
export * from '../../src/index.js';
export { isAllowedTransition as isAllowedTransitionFor } from '../../machines/index.js';
