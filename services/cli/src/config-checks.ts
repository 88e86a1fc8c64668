import { AlertingConfigError, buildAlerting } from '@kiln/alerter';
import type { KilnConfig } from '@kiln/config';
import { parseListen } from '@kiln/http';
import { FaultSyntaxError, parseFault } from '@kiln/simulator';

/**
 * Everything Kiln checks of a configuration at start-up beyond its schema, run before any command starts anything
 * (and by `kiln check`): receivers, routes and inhibit rules as the alerter builds them, the simulator's fault specs,
 * and listen addresses that would collide. Each problem is `<path>: <message>`.
 */
export function configProblems(config: KilnConfig): string[] {
  return [...alertingProblems(config), ...faultProblems(config.simulate.faults), ...listenProblems(config)];
}

function alertingProblems(config: KilnConfig): readonly string[] {
  try {
    buildAlerting(config);
    return [];
  } catch (err) {
    if (err instanceof AlertingConfigError) return err.problems;
    throw err;
  }
}

function faultProblems(faults: readonly string[]): string[] {
  return faults.flatMap((spec, i) => {
    try {
      parseFault(spec);
      return [];
    } catch (err) {
      if (err instanceof FaultSyntaxError) return [`simulate.faults[${i}]: ${err.message}`];
      throw err;
    }
  });
}

/**
 * Two of Kiln's endpoints on one address: whichever binds second fails (port 0, any free port, never collides). Both
 * are named, each at its own place: one of the two is often a default the file does not mention.
 */
function listenProblems(config: KilnConfig): string[] {
  const endpoints: [string, string][] = [
    ['alerter.listen', config.alerter.listen],
    ['metrics.listen', config.metrics.listen],
    ['clickhouse.listen', config.clickhouse.listen],
  ];
  const same = (a: string, b: string): boolean => {
    const [x, y] = [parseListen(a), parseListen(b)];
    return x.port !== 0 && x.port === y.port && x.host === y.host;
  };
  return endpoints.flatMap(([path, listen]) =>
    endpoints
      .filter(([other, address]) => other !== path && same(listen, address))
      .map(([other]) => `${path}: ${listen} is also ${other}; each endpoint needs its own address`),
  );
}
