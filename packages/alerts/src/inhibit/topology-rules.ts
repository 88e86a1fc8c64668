import type { InhibitRuleSpec } from './inhibitor.js';

/** The alerts Kiln's detectors raise about a whole rack, host or partition, which the topology rules refer to. */
export const TOPOLOGY_ALERTNAMES = {
  rackCooling: 'RackCoolingFailure',
  gpuMissing: 'GpuMissing',
  hostSilent: 'HostSilent',
  rackSilent: 'RackSilent',
  partitionSilent: 'PartitionSilent',
  rackNvlink: 'RackNvlinkDegraded',
  gpuNvlink: 'GpuNvlinkDegraded',
  rackFabric: 'RackFabricNotReady',
  gpuFabric: 'GpuFabricNotReady',
} as const;

const {
  rackCooling,
  gpuMissing,
  hostSilent,
  rackSilent,
  partitionSilent,
  rackNvlink,
  gpuNvlink,
  rackFabric,
  gpuFabric,
} = TOPOLOGY_ALERTNAMES;

/**
 * Every source names a rack, and `equal` carries it to the target: Kiln's alerts always name one, so an alert posted by
 * another sender without a rack (a Prometheus rule's) is neither muted nor muting by these rules.
 */
const NAMES_A_RACK = 'rack=~".+"';

/**
 * One cause, one page, with no `inhibit_rules` written: the alerts about a rack, a host or a partition mute the
 * alerts its parts raise for the same cause. On by default (`alerter.default_inhibitions`); an operator's
 * `inhibit_rules` add to them. docs/paging.md lists them with their reasons.
 */
export const TOPOLOGY_INHIBIT_RULES: readonly InhibitRuleSpec[] = [
  {
    // A rack losing its coolant heats all 72 GPUs: the rack alert pages, its GPUs' and trays' thermal alerts do not.
    name: 'rack cooling mutes its thermal alerts',
    source_matchers: [`alertname="${rackCooling}"`, NAMES_A_RACK],
    target_matchers: ['category="thermal"', 'host=~".+"'],
    equal: ['cluster', 'rack'],
  },
  {
    // Many GPUs of one NVLink domain losing links at once share a cause (a switch tray, its cabling or power): the
    // rack alert pages, its GPUs' and trays' NVLink alerts do not.
    name: "a rack's NVLink alert mutes its GPUs'",
    source_matchers: [`alertname="${rackNvlink}"`, NAMES_A_RACK],
    target_matchers: [`alertname="${gpuNvlink}"`, 'host=~".+"'],
    equal: ['cluster', 'rack'],
  },
  {
    // A rack's fabric not coming up is its fabric manager's or compute domain's, not each GPU's.
    name: "a rack's fabric alert mutes its GPUs'",
    source_matchers: [`alertname="${rackFabric}"`, NAMES_A_RACK],
    target_matchers: [`alertname="${gpuFabric}"`, 'host=~".+"'],
    equal: ['cluster', 'rack'],
  },
  {
    // Every GPU of a tray failing the same way is one alert for the tray (Detection's tray roll-up): it mutes the
    // alerts of its GPUs with the same name.
    name: 'a tray mutes its GPUs',
    source_matchers: ['host=~".+"', 'gpu=""', NAMES_A_RACK],
    target_matchers: ['gpu=~".+"'],
    equal: ['alertname', 'cluster', 'rack', 'host'],
  },
  {
    name: 'a silent host mutes its missing GPUs',
    source_matchers: [`alertname="${hostSilent}"`, NAMES_A_RACK],
    target_matchers: [`alertname="${gpuMissing}"`],
    equal: ['cluster', 'rack', 'host'],
  },
  {
    name: 'a silent rack mutes its hosts',
    source_matchers: [`alertname="${rackSilent}"`, NAMES_A_RACK],
    target_matchers: [`alertname=~"${hostSilent}|${gpuMissing}"`],
    equal: ['cluster', 'rack'],
  },
  {
    // A partition is normally one rack, which its alert names; a partition of several racks is labelled rack="*",
    // and its racks raise no RackSilent while it is silent as a whole (they go silent together).
    name: 'a silent partition mutes its racks',
    source_matchers: [`alertname="${partitionSilent}"`, NAMES_A_RACK],
    target_matchers: [`alertname=~"${rackSilent}|${hostSilent}|${gpuMissing}"`],
    equal: ['cluster', 'rack'],
  },
];
