import { JetStreamApiError } from '@nats-io/jetstream';
import { RequestError, TimeoutError } from '@nats-io/nats-core';

/**
 * What a NATS or JetStream failure means, read from the classes and JetStream API error codes nats.js gives (the
 * codes are nats-server's, stable across releases), never from message text, which servers reword.
 */

/** nats-server's JetStream API error codes that Kiln branches on (server/errors.json). */
export const JetStreamErrorCode = {
  NoSuitablePeers: 10005,
  ClusterNotAvailable: 10008,
  ConsumerNotFound: 10014,
  InsufficientResources: 10023,
  JetStreamNotEnabledForAccount: 10039,
  StreamNameInUse: 10058,
  StreamNotFound: 10059,
  StreamWrongLastSequence: 10071,
  StreamWrongLastSequenceUnknown: 10164,
} as const;

/** The JetStream API error code of a failure, when the server answered with one. */
export function jetStreamErrorCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

export function isStreamNotFound(err: unknown): boolean {
  return jetStreamErrorCode(err) === JetStreamErrorCode.StreamNotFound;
}

export function isConsumerNotFound(err: unknown): boolean {
  return jetStreamErrorCode(err) === JetStreamErrorCode.ConsumerNotFound;
}

/** A consumer request whose consumer, or the stream under it, does not exist. */
export function isStreamOrConsumerNotFound(err: unknown): boolean {
  return isStreamNotFound(err) || isConsumerNotFound(err);
}

/** A stream of that name exists with another configuration (another process created it first). */
export function isStreamNameInUse(err: unknown): boolean {
  return jetStreamErrorCode(err) === JetStreamErrorCode.StreamNameInUse;
}

/**
 * A compare-and-set on a stale revision: a KV update() whose revision is not the key's latest, or a create() of a
 * key that exists.
 */
export function isWrongLastSequence(err: unknown): boolean {
  const code = jetStreamErrorCode(err);
  return (
    code === JetStreamErrorCode.StreamWrongLastSequence || code === JetStreamErrorCode.StreamWrongLastSequenceUnknown
  );
}

/** JetStream API answers that mean "not now" rather than "no". */
const TRANSIENT_API_CODES: ReadonlySet<number> = new Set([
  JetStreamErrorCode.NoSuitablePeers,
  JetStreamErrorCode.ClusterNotAvailable,
  JetStreamErrorCode.InsufficientResources,
]);

/**
 * A failure that trying again may cure: the request timed out, nobody answered it (a cluster still electing its
 * leaders after a start or the loss of a node; nats.js reports that on the JetStream API as JetStreamNotEnabled), or
 * the cluster said it is unavailable, short of peers or of resources for now.
 */
export function isTransientJetStreamError(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  if (err instanceof RequestError) return err.isNoResponders() || err.cause instanceof TimeoutError;
  // JetStreamNotEnabled is not among @nats-io/jetstream's public exports; its name is set by its constructor.
  if (err instanceof Error && err.name === 'JetStreamNotEnabled') return true;
  const code = jetStreamErrorCode(err);
  return code !== undefined && TRANSIENT_API_CODES.has(code);
}
