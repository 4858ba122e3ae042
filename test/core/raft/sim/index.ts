// The deterministic simulator of the raft core (test tooling, also usable by
// the cluster controller's own simulation later).
export { runSimulation, Simulation } from './simulation';
export type { SimulationOptions, SimulationResult, SimulationStats } from './simulation';
export { SafetyChecker, InvariantViolation } from './invariants';
export { isLinearizable, checkKvHistory, registerModel } from './linearizability';
export type { Model, Operation, KvOperation, RegisterInput } from './linearizability';
export { EventQueue } from './event-queue';
export { SimLoop } from './sim-loop';
export { SimDisk } from './sim-disk';
