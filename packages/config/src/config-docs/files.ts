import { join } from 'node:path';
import { configJsonSchema } from './json-schema.js';
import { configReferenceMarkdown } from './markdown.js';

/** A file generated from the configuration schema, and what it must hold. */
export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly text: string;
}

/** The files `npm run docs:config` writes; a test holds the committed ones to these. */
export function configReferenceFiles(): GeneratedFile[] {
  const schema = configJsonSchema();
  return [
    { path: join('docs', 'configuration.md'), text: configReferenceMarkdown(schema) },
    { path: join('deploy', 'kiln.schema.json'), text: `${JSON.stringify(schema, null, 2)}\n` },
  ];
}
