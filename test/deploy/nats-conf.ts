import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A nats-server configuration read the way the checks need it: the text of a file with its `include`s expanded in
 * place (paths relative to the including file, as nats-server resolves them) and comments dropped.
 */
export function expandedConfig(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trimEnd())
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const include = /^\s*include\s+"([^"]+)"\s*$/.exec(line);
      return include ? expandedConfig(join(dirname(file), include[1]!)) : line;
    })
    .join('\n');
}

/** The value of a `key: value` line (the first one, at any depth). */
export function confValue(text: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}\\s*[:=]\\s*"?([^"\\s]+)"?\\s*$`, 'm').exec(text)?.[1];
}

/** The text of a block `name { … }` (its braces balanced, nested blocks included), or undefined. */
export function confBlock(text: string, name: string): string | undefined {
  const start = new RegExp(`^\\s*${name}\\s*[:=]?\\s*\\{`, 'm').exec(text);
  if (!start) return undefined;
  let depth = 0;
  for (let i = start.index + start[0].length - 1; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start.index, i + 1);
  }
  throw new Error(`block ${name} is not closed`);
}

/** The port of a `listen`/`http` address line such as `0.0.0.0:4222`. */
export function confPort(text: string, key: string): number | undefined {
  const value = confValue(text, key);
  return value === undefined ? undefined : Number(value.split(':').at(-1));
}
