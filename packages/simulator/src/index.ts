export { Fleet, type FleetOptions } from './fleet.js';
export { JobPhase, type JobOptions } from './jobs.js';
export {
  FAULT_KINDS,
  FAULT_KIND_NAMES,
  faultParam,
  faultTargetName,
  isFaultKind,
  validateFault,
  type CounterResetFault,
  type EccDbeFault,
  type Fault,
  type FaultKind,
  type FaultKindSpec,
  type FaultParam,
  type FaultTarget,
  type GpuMissingFault,
  type OfflineFault,
  type OverheatFault,
  type RackCoolingFault,
  type StallFault,
  type StragglerFault,
  type XidFault,
} from './faults.js';
export { FAULT_SYNTAX, FaultSyntaxError, formatFault, parseFault, parseFaults } from './fault-syntax.js';
export { OVERHEAT_RAMP_MS, RACK_COOLING_RAMP_MS } from './fault-effects.js';
export { GPUS_PER_RACK, GPUS_PER_TRAY, TRAYS_PER_RACK, gpuUuid, hostName, rackName } from './topology.js';
export { publishFleet, type PublishOptions, type PublishResult, type PublishStats } from './publish.js';
export type { Jobs } from './jobs.js';
export type { Topology } from './topology.js';
