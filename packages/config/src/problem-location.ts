import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

/** A path into the configuration: keys and list indices. */
export type ConfigPath = readonly (string | number)[];

/** Writes a path the way every Kiln problem starts: `route.routes[0].matchers[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(root)';
}

/** The path a problem (`<path>: <message>`) is about, or undefined when it names none. */
export function problemPath(problem: string): ConfigPath | undefined {
  const head = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\.\d+|\[\d+\])*): /.exec(problem)?.[1];
  if (head === undefined) return undefined;
  return head
    .split(/\.|(?=\[)/)
    .map((part) => (/^\[(\d+)\]$/.test(part) ? Number(part.slice(1, -1)) : /^\d+$/.test(part) ? Number(part) : part));
}

/**
 * Prefixes each problem with `file:line:column` of what it is about in the YAML text: the node at its path, or the
 * nearest enclosing one that the file has (a missing key points at its mapping). Problems about nothing in the file
 * (an environment override, a default) keep the file name alone.
 */
export function locateProblems(file: string, text: string, problems: readonly string[]): string[] {
  const lines = new LineCounter();
  let doc: Document | undefined;
  try {
    doc = parseDocument(text, { lineCounter: lines });
  } catch {
    doc = undefined;
  }
  return problems.map((problem) => {
    const path = problemPath(problem);
    const offset = doc && path ? nodeOffset(doc, path) : undefined;
    if (offset === undefined) return `${file}: ${problem}`;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}: ${problem}`;
  });
}

function nodeOffset(doc: Document, path: ConfigPath): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}
