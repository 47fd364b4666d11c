/**
 * fractal-coord: the Parent↔Child Coordination Protocol over a fractal tree of XState v5 actors.
 *
 * The public entry point. The statecharts themselves are in `fractal-coord/machines`.
 */
export { createCoordinationTree } from './runtime/createCoordinationTree.js';
export type {
  CoordinationTree,
  CoordinationTreeOptions,
  NodeSnapshot,
  RecoveryResult,
  ShutdownOptions,
  ShutdownResult,
  TreeSnapshot,
  TreeStatus,
} from './runtime/treeTypes.js';
export type {
  Command,
  CommandHandler,
  CommandOptions,
  CommandResult,
  HandlerContext,
} from './runtime/commandTypes.js';
export type {
  CommandEvent,
  DecisionEvent,
  DroppedEvent,
  DropReason,
  LinkEvent,
  MessageEvent,
  NodeLifecycleEvent,
  TransitionEvent,
  TreeEvent,
} from './runtime/events.js';
export type { TreeStats } from './runtime/TreeKernel.js';
export { TREE_EVENT_TYPES, type TreeEventOf, type TreeEventType } from './runtime/EventStream.js';
export {
  ConformanceMonitor,
  EXECUTION_WINDOW,
  VIOLATIONS_KEPT,
  type ConformanceRule,
  type ViolationEvent,
} from './conformance/ConformanceMonitor.js';
export { systemClock, type TreeClock } from './runtime/Timers.js';
export { CLIENT_ID } from './runtime/TreeClient.js';
export {
  DEFAULT_POLICY,
  SCALED_TIMEOUT_MS_PER_NODE,
  resolvePolicy,
  type BatchingPolicy,
  type ConcurrencyPolicy,
  type CoordinationPolicy,
  type HeartbeatPolicy,
  type PolicyScale,
  type ResolvedPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from './policy/policy.js';
export { hostedSpec, validateSpec, type NodeSpec } from './spec/treeSpec.js';
export type {
  DeliveryEvent,
  FaultEvent,
  RefusedEvent,
  Inbox,
  Transport,
  TransportEvent,
  TransportHost,
} from './transport/Transport.js';
export {
  NatsTransport,
  nodeSubject,
  type NatsRefusals,
  type NatsTransportOptions,
} from './transport/nats/NatsTransport.js';
export { subjectPermissions, type SubjectPermissions } from './transport/nats/permissions.js';
export {
  ReliableTransport,
  type ReliableTransportOptions,
  type ReliableTransportStats,
} from './reliability/ReliableTransport.js';
export {
  InProcessTransport,
  type InProcessTransportOptions,
} from './transport/InProcessTransport.js';
export {
  CoordinationFailedError,
  InvalidPolicyError,
  InvalidSpecError,
  TreeLifecycleError,
  UnknownNodeError,
  isCoordinationFailedError,
  isInvalidPolicyError,
  isInvalidSpecError,
  isTreeLifecycleError,
  isUnknownNodeError,
} from './errors.js';
export type {
  AnyEnvelope,
  CommandReply,
  CommandStatus,
  CoordinationState,
  Envelope,
  LinkState,
  MessageKind,
  Outcome,
  OutcomeCounts,
  ShutdownMode,
  SubtreeCounts,
  SyncReport,
} from '../machines/index.js';
