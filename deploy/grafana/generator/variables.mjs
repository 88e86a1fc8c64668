// The template variables: cluster, rack, host and GPU, each listing what reported in the dashboard's time range. They
// read the hourly rollup (one row per GPU and hour: a fleet's worth over months stays small), from the hour the
// range starts in.
import { filter } from './sql.mjs';
import { queryVariable } from './panels.mjs';

const IN_RANGE = 'ts >= toStartOfHour($__fromTime) AND ts <= $__toTime';

function distinct(column, conditions) {
  return `SELECT DISTINCT ${column} FROM kiln.gpu_rollup_1h WHERE ${[IN_RANGE, ...conditions].join(' AND ')} ORDER BY ${column}`;
}

/** cluster and rack, each any number or All: for the fleet and alert dashboards. */
export const fleetVariables = [
  queryVariable({ name: 'cluster', label: 'Cluster', sql: distinct('cluster', []), multi: true, includeAll: true }),
  queryVariable({
    name: 'rack',
    label: 'Rack',
    sql: distinct('rack', [filter.any('cluster')]),
    multi: true,
    includeAll: true,
  }),
];

const oneCluster = queryVariable({ name: 'cluster', label: 'Cluster', sql: distinct('cluster', []) });
const oneRack = queryVariable({ name: 'rack', label: 'Rack', sql: distinct('rack', [filter.is('cluster')]) });
const hostCondition = [filter.is('cluster'), filter.is('rack')];

/** One rack, and any of its hosts (compute trays). */
export const rackVariables = [
  oneCluster,
  oneRack,
  queryVariable({ name: 'host', label: 'Tray', sql: distinct('host', hostCondition), multi: true, includeAll: true }),
];

/** One GPU: cluster, rack, host, index. */
export const gpuVariables = [
  oneCluster,
  oneRack,
  queryVariable({ name: 'host', label: 'Host', sql: distinct('host', hostCondition) }),
  queryVariable({ name: 'gpu', label: 'GPU', sql: distinct('gpu', [...hostCondition, filter.is('host')]) }),
];
