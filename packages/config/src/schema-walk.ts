import type { z } from 'zod';
import { hasSecretMark } from '@kiln/config-schema';

export type Schema = z.ZodType;

/** Peels default/prefault/optional/nullable wrappers to reach the schema that says what a key holds. */
export function unwrap(schema: Schema): Schema {
  let s: Schema = schema;
  for (;;) {
    const def = (s as unknown as { def: { type: string; innerType?: Schema } }).def;
    if (
      (def.type === 'default' || def.type === 'prefault' || def.type === 'optional' || def.type === 'nullable') &&
      def.innerType
    ) {
      s = def.innerType;
    } else return s;
  }
}

export function objectShape(schema: Schema): Record<string, Schema> | undefined {
  const inner = unwrap(schema) as unknown as { def: { type: string; shape?: Record<string, Schema> } };
  return inner.def.type === 'object' ? inner.def.shape : undefined;
}

export function isSecret(schema: Schema): boolean {
  return hasSecretMark(unwrap(schema));
}

/** The schema of a list's items, or undefined when `schema` is no list. */
export function listItem(schema: Schema): Schema | undefined {
  const def = (unwrap(schema) as unknown as { def: { type: string; element?: Schema } }).def;
  return def.type === 'array' ? def.element : undefined;
}

/** The option of a discriminated union (notify's receivers, by `type`) that `value` selects. */
export function unionOption(schema: Schema, value: Record<string, unknown>): Schema | undefined {
  const def = (unwrap(schema) as unknown as { def: { type: string; discriminator?: string; options?: Schema[] } }).def;
  if (def.type !== 'union' || def.discriminator === undefined || !def.options) return undefined;
  const wanted = value[def.discriminator];
  return def.options.find((option) => {
    const tag = objectShape(option)?.[def.discriminator!];
    const values = tag ? (unwrap(tag) as unknown as { def: { values?: unknown[] } }).def.values : undefined;
    return values?.includes(wanted) === true;
  });
}
