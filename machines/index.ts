/**
 * The pure statecharts and protocol vocabulary of fractal-coord, for users who compose them
 * into their own statecharts or test them directly.
 */
export { nodeMachine } from './node.machine.js';
export {
  initialLeaf,
  leafNodeContext,
  leafState,
  leafStateValue,
  leafTransition,
  type LeafAction,
  type LeafEvent,
  type LeafSnapshot,
  type LeafStep,
  type LeafTransition,
} from './leafChart.js';
export {
  backoffDelay,
  initRetryDelay,
  type NodeContext,
  type NodeEvent,
  type NodeInput,
  type NodeMachinePolicy,
  type NodeShape,
} from './node.types.js';
export {
  supervisorMachine,
  type LinkChange,
  type RestartBudget,
  type SupervisorContext,
  type SupervisorEvent,
  type SupervisorInput,
  type SupervisorReport,
} from './supervisor.machine.js';
export {
  applyLinkChange,
  applyLinkChanges,
  decide,
  unavailableLimit,
  EMPTY_COUNTS,
  type Decision,
  type DegradationPolicy,
  type LinkCounts,
  type LinkState,
} from './supervision.js';
export * from './protocol.js';
