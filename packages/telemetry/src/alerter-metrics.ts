import type { Meter } from '@opentelemetry/api';

/** The alerter's counters (AlerterStats of @kiln/alerter), read at each collection. */
export interface AlerterCounters {
  readonly events: number;
  readonly invalid: number;
  readonly firing: number;
  readonly resolved: number;
  readonly flapping: number;
  /** 1 while this alerter leads its group, 0 while it stands by. */
  readonly leader: number;
  /** Whether the last configuration reload was applied (1) or refused (0). */
  readonly configReloadSuccess: number;
  /** When the configuration last changed, Unix ms. */
  readonly configReloadedAt: number;
}

/** The alerts the alerter knows and whether each is muted: AlertStore and Dispatcher of @kiln/alerts. */
export interface AlertStates {
  fingerprints(): Iterable<string>;
  get(fingerprint: string): { readonly status: string; readonly labels: Readonly<Record<string, string>> } | undefined;
}
export interface AlertMutes {
  muting(fingerprint: string, labels: Readonly<Record<string, string>>): { readonly state: 'active' | 'suppressed' };
}

const NO_ALERTS: AlertStates = { fingerprints: () => [], get: () => undefined };
const TRANSITIONS = (['firing', 'resolved', 'flapping'] as const).map((state) => ({ state, attributes: { state } }));
const ACTIVE = { state: 'active' } as const;
const SUPPRESSED = { state: 'suppressed' } as const;

/**
 * The alerter's metrics: events consumed, alert state transitions, and the firing alerts by state (active, or
 * suppressed by a silence or an inhibition), counted when a collection asks (alerts are few; events are not walked).
 */
export function observeAlerter(
  meter: Meter,
  stats: AlerterCounters,
  leading: () => { alerts: AlertStates; mutes: AlertMutes } | undefined,
): void {
  const events = meter.createObservableCounter('kiln_alerter_events_total', {
    description: 'Alert events consumed from the alert stream',
  });
  const invalid = meter.createObservableCounter('kiln_alerter_events_invalid_total', {
    description: 'Alert events that failed validation and were dead-lettered',
  });
  const transitions = meter.createObservableCounter('kiln_alert_transitions_total', {
    description: 'Alert state changes applied: fired, resolved, started flapping',
  });
  const firing = meter.createObservableGauge('kiln_alerts', {
    description:
      'Firing alerts by state: active, or suppressed (silenced or inhibited); counted by the leading alerter only',
  });
  const leader = meter.createObservableGauge('kiln_alerter_leader', {
    description: '1 while this alerter leads its group (consumes and notifies), 0 while it stands by',
  });
  const reloadSuccess = meter.createObservableGauge('kiln_config_reload_success', {
    description: 'Whether the last configuration reload was applied (1) or refused (0)',
  });
  const reloadedAt = meter.createObservableGauge('kiln_config_last_reload_success_timestamp_seconds', {
    description: 'When the configuration last changed (start or applied reload)',
  });
  meter.addBatchObservableCallback(
    (result) => {
      result.observe(events, stats.events);
      result.observe(invalid, stats.invalid);
      for (const t of TRANSITIONS) result.observe(transitions, stats[t.state], t.attributes);
      result.observe(leader, stats.leader);
      result.observe(reloadSuccess, stats.configReloadSuccess);
      result.observe(reloadedAt, Math.floor(stats.configReloadedAt / 1000));
      let active = 0;
      let suppressed = 0;
      const current = leading();
      const { alerts, mutes } = current ?? { alerts: NO_ALERTS, mutes: undefined };
      for (const fp of alerts.fingerprints()) {
        const alert = alerts.get(fp);
        if (alert?.status !== 'firing') continue;
        if (mutes?.muting(fp, alert.labels).state === 'suppressed') suppressed++;
        else active++;
      }
      result.observe(firing, active, ACTIVE);
      result.observe(firing, suppressed, SUPPRESSED);
    },
    [events, invalid, transitions, firing, leader, reloadSuccess, reloadedAt],
  );
}
