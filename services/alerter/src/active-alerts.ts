import { toAlert, type Alert, type AlertEvent } from '@kiln/alerts';

/** The alerts currently firing, by fingerprint: what GET /api/v2/alerts lists. */
export class ActiveAlerts {
  private readonly byFingerprint = new Map<string, Alert & { updatedAt: number }>();

  apply(event: AlertEvent, now = Date.now()): Alert {
    const alert = toAlert(event);
    if (alert.status === 'firing') this.byFingerprint.set(alert.fingerprint, { ...alert, updatedAt: now });
    else this.byFingerprint.delete(alert.fingerprint);
    return alert;
  }

  list(): (Alert & { updatedAt: number })[] {
    return [...this.byFingerprint.values()];
  }

  get size(): number {
    return this.byFingerprint.size;
  }
}
