/**
 * The detection rules' configuration schemas (zod), one file per detector, and the `detect` section they make up.
 * A subpath of its own (`@kiln/detect/rules`): @kiln/config composes the section without loading the detectors.
 */
export * from './detect-section.js';
export type { ThermalRule, HbmTemperatureRule } from './thermal.js';
export type { ThermalThrottleRule, PowerBrakeRule } from './clock-events.js';
export type { TemperatureRiseRule } from './temperature-rise.js';
export type { RackCoolingRule } from './rack-cooling.js';
export type { StallRule } from './stall.js';
export type { StragglerRule } from './straggler.js';
export type { XidRule } from './xid.js';
export type { EccRule } from './ecc.js';
export type { RowRemapRule } from './row-remap.js';
export type { AbsenceRule } from './absence.js';
export type { PartitionSilentRule } from './partition-silent.js';
export type { NvlinkRule } from './nvlink.js';
export type { RackRollupRule } from './rack-rollup.js';
export type { FabricRule } from './fabric.js';
export type { EccStormRule } from './ecc-storm.js';
export type { ThermalMarginRule } from './thermal-margin.js';
export type { ModulePowerRule } from './module-power.js';
export type { RackPowerSwingRule } from './rack-power.js';
