import { METRICS } from './catalog.js';
import {
  MAX_GPU_INDEX,
  MAX_GPUS_PER_MESSAGE,
  MAX_JOB_LENGTH,
  UUID_MAX_LENGTH,
  UUID_MIN_LENGTH,
  UUID_PATTERN,
  WIRE_VERSION,
} from './message.js';
import { SUBJECT_TOKEN_PATTERN } from './subjects.js';

const token = { type: 'string', pattern: SUBJECT_TOKEN_PATTERN.source } as const;

/**
 * JSON Schema (draft 2020-12) of a wire-v1 message, generated from the catalog. It documents the contract and
 * drives the encoder. Metrics are plain numbers here: a metric outside its physical range does not invalidate a
 * message, the decoder stores it as absent. Unknown fields are allowed (and ignored by the decoder).
 */
export const WIRE_MESSAGE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Kiln wire v1 GPU sample message',
  type: 'object',
  required: ['v', 'cluster', 'rack', 'host', 'seq', 'ts', 'gpus'],
  properties: {
    v: { type: 'integer', const: WIRE_VERSION },
    cluster: token,
    rack: token,
    host: token,
    seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    ts: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Unix milliseconds, event time' },
    gpus: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_GPUS_PER_MESSAGE,
      items: {
        type: 'object',
        required: ['gpu', 'uuid'],
        properties: {
          gpu: { type: 'integer', minimum: 0, maximum: MAX_GPU_INDEX },
          uuid: {
            type: 'string',
            pattern: UUID_PATTERN.source,
            minLength: UUID_MIN_LENGTH,
            maxLength: UUID_MAX_LENGTH,
          },
          job: { type: 'string', minLength: 1, maxLength: MAX_JOB_LENGTH },
          ...Object.fromEntries(
            METRICS.map((m) => [
              m.name,
              {
                type: 'number',
                description: `${m.help} (${m.unit}, ${m.dcgm === null ? 'no DCGM field' : `DCGM field ${m.dcgm}`}, physical range ${m.min}..${m.max})`,
              },
            ]),
          ),
        },
      },
    },
  },
} as const;
