import { z } from 'zod';
import { powerBrakeRule, thermalThrottleRule } from './clock-events.js';
import { eccRule } from './ecc.js';
import { eccStormRule } from './ecc-storm.js';
import { fabricRule } from './fabric.js';
import { modulePowerRule } from './module-power.js';
import { nvlinkRule } from './nvlink.js';
import { partitionSilentRule } from './partition-silent.js';
import { rackCoolingRule } from './rack-cooling.js';
import { rackPowerSwingRule } from './rack-power.js';
import { rackRollupRule } from './rack-rollup.js';
import { rowRemapRule } from './row-remap.js';
import { absenceRule } from './absence.js';
import { stallRule } from './stall.js';
import { stragglerRule } from './straggler.js';
import { temperatureRiseRule } from './temperature-rise.js';
import { thermalMarginRule } from './thermal-margin.js';
import { hbmTemperatureRule, thermalRule } from './thermal.js';
import { xidRule } from './xid.js';

/**
 * The `detect` section of the configuration: every detection rule, each declared by its detector's file here. Rules
 * not written in a configuration take their defaults.
 */
export const detectSection = z
  .object({
    thermal: thermalRule
      .prefault({})
      .describe("GpuTemperatureNearSlowdown: GPU temperature against the GPU's own slowdown threshold."),
    hbm_temperature: hbmTemperatureRule
      .prefault({})
      .describe("GpuMemoryTemperatureNearLimit: HBM temperature against the GPU's own memory maximum."),
    thermal_throttle: thermalThrottleRule
      .prefault({})
      .describe('GpuThermalThrottling: a thermal slowdown bit in clock_events, sustained.'),
    temperature_rise: temperatureRiseRule
      .prefault({})
      .describe(
        'GpuTemperatureRising: a linear forecast of the temperature reaches the slowdown threshold soon. Judged on closed windows.',
      ),
    rack_cooling: rackCoolingRule
      .prefault({})
      .describe('RackCoolingFailure: many GPUs of one rack heat without a rise in power, or are hot, at once.'),
    stall: stallRule.prefault({}).describe('GpuStalled: near-zero activity while the peer group is busy.'),
    straggler: stragglerRule
      .prefault({})
      .describe(
        'GpuStraggler: SM clock, SM activity or power well below the peer median (robust z = 0.6745·(x − median)/MAD).',
      ),
    xid: xidRule.prefault({}).describe("GpuXidError: the GPU's last Xid is a listed code."),
    ecc_dbe: eccRule.prefault({}).describe('GpuEccDoubleBitErrors: ecc_dbe_vol increased.'),
    row_remap_failure: rowRemapRule.prefault({}).describe('GpuRowRemapFailure: row_remap_failure is set.'),
    power_brake: powerBrakeRule
      .prefault({})
      .describe('GpuPowerBrakeSlowdown: clock_events carries HW power brake (0x80), sustained.'),
    gpu_missing: absenceRule(30_000).prefault({}).describe("GpuMissing: a GPU absent from its host's messages."),
    host_silent: absenceRule(30_000).prefault({}).describe('HostSilent: a host silent while its rack goes on.'),
    rack_silent: absenceRule(60_000).prefault({}).describe('RackSilent: a rack silent while its partition goes on.'),
    partition_silent: partitionSilentRule
      .prefault({})
      .describe('PartitionSilent: no sample at all, after samples had arrived (wall clock).'),
    nvlink: nvlinkRule
      .prefault({})
      .describe(
        'GpuNvlinkDegraded: NVLink links inactive, or NVLink CRC/replay/recovery errors rising faster than a rate.',
      ),
    rack_nvlink: rackRollupRule(8, 10_000)
      .prefault({})
      .describe('RackNvlinkDegraded: many GPUs of one rack with degraded NVLink at once (one page for the rack).'),
    fabric: fabricRule
      .prefault({})
      .describe('GpuFabricNotReady: the NVLink fabric of a GPU expected in one is not completed, past a grace period.'),
    rack_fabric: rackRollupRule(8, 300_000)
      .prefault({})
      .describe('RackFabricNotReady: many GPUs of one rack without a ready fabric at once (one page for the rack).'),
    ecc_storm: eccStormRule
      .prefault({})
      .describe('GpuCorrectableErrorStorm: corrected (single-bit) ECC errors arrive faster than a rate.'),
    thermal_margin: thermalMarginRule
      .prefault({})
      .describe("GpuThermalMarginLow: the GPU's own thermal margin (temp_margin_c) is small."),
    module_power: modulePowerRule
      .prefault({})
      .describe('GpuModulePowerAtLimit: the Grace-Blackwell module draws at its power limit, sustained (a warning).'),
    rack_power_swing: rackPowerSwingRule
      .prefault({})
      .describe("RackPowerSwing: the rack's summed power swings faster than a rate (a warning)."),
  })
  .strict();

export type DetectConfig = z.infer<typeof detectSection>;
