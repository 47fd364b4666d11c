/**
 * The errors fractal-coord throws at its API boundary. Expected failures inside the protocol
 * (a child times out, a message is dropped) are events and states, never exceptions.
 *
 * Each class has a marker property and an `isX(e)` check that works across realms and copies.
 */

/** A tree spec is malformed: empty or duplicate ids, a cycle, a reserved id. */
export class InvalidSpecError extends Error {
  readonly isInvalidSpecError = true;
  override readonly name = 'InvalidSpecError';
}
/** Whether `e` is an {@link InvalidSpecError}. */
export const isInvalidSpecError = (e: unknown): e is InvalidSpecError =>
  typeof e === 'object' && e !== null && 'isInvalidSpecError' in e;

/** A policy value is out of range: negative, non-finite, not an integer where one is needed. */
export class InvalidPolicyError extends Error {
  readonly isInvalidPolicyError = true;
  override readonly name = 'InvalidPolicyError';
}
/** Whether `e` is an {@link InvalidPolicyError}. */
export const isInvalidPolicyError = (e: unknown): e is InvalidPolicyError =>
  typeof e === 'object' && e !== null && 'isInvalidPolicyError' in e;

/** A node id that is not in the tree. */
export class UnknownNodeError extends Error {
  readonly isUnknownNodeError = true;
  override readonly name = 'UnknownNodeError';
  constructor(
    readonly nodeId: string,
    options?: ErrorOptions,
  ) {
    super(
      `Unknown node id ${JSON.stringify(nodeId)}: it is not in this tree. ` +
        `Check the id against tree.snapshot() or add it with tree.addNode().`,
      options,
    );
  }
}
/** Whether `e` is an {@link UnknownNodeError}. */
export const isUnknownNodeError = (e: unknown): e is UnknownNodeError =>
  typeof e === 'object' && e !== null && 'isUnknownNodeError' in e;

/** An API call that the tree's lifecycle does not allow now (a command before `start()`...). */
export class TreeLifecycleError extends Error {
  readonly isTreeLifecycleError = true;
  override readonly name = 'TreeLifecycleError';
}
/** Whether `e` is a {@link TreeLifecycleError}. */
export const isTreeLifecycleError = (e: unknown): e is TreeLifecycleError =>
  typeof e === 'object' && e !== null && 'isTreeLifecycleError' in e;

/** The root ended FAILED (or never answered) while starting or recovering. */
export class CoordinationFailedError extends Error {
  readonly isCoordinationFailedError = true;
  override readonly name = 'CoordinationFailedError';
  constructor(
    message: string,
    readonly nodeId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
/** Whether `e` is a {@link CoordinationFailedError}. */
export const isCoordinationFailedError = (e: unknown): e is CoordinationFailedError =>
  typeof e === 'object' && e !== null && 'isCoordinationFailedError' in e;
