import fastJson from 'fast-json-stringify';
import { METRICS } from './catalog.js';
import type { WireMessage } from './message.js';
import { WIRE_MESSAGE_SCHEMA } from './wire-schema.js';

const serialize = fastJson(WIRE_MESSAGE_SCHEMA);

/**
 * Serializes a wire-v1 message to its JSON body. Only contract fields are written (anything else on the object is
 * left out). An absent metric is an omitted (undefined) property: a NaN metric is not a wire value and throws, as
 * does a missing required field; ±Infinity is written as null, which the decoder stores as absent and counts.
 * The caller owns validity: the decoder, not the encoder, enforces the contract.
 */
export function encodeMessage(msg: WireMessage): string {
  try {
    return serialize(msg);
  } catch (e) {
    throw new TypeError(`cannot encode wire message: ${describeUnencodable(msg) ?? (e as Error).message}`);
  }
}

function describeUnencodable(msg: WireMessage): string | undefined {
  for (const [i, gpu] of msg.gpus.entries()) {
    for (const m of METRICS) {
      if (Number.isNaN(gpu[m.name])) return `gpus[${i}].${m.name} is NaN (omit an absent metric instead)`;
    }
  }
  return undefined;
}
