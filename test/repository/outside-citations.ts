/**
 * Citations of documents that do not ship with the repository: a design document, a folder of reference notes, or a
 * sibling folder of the checkout. A reader of the repository has none of them, so each must be the in-repo doc or the
 * fact itself. The patterns are written so that this file, which the check reads too, does not cite them itself.
 */
const OUTSIDE = [
  { pattern: /\bdesign\.md\b/i, what: 'a design document outside the repository' },
  { pattern: /(?<![\w./-])reference\/[\w.-]+\.md\b/, what: 'a reference note outside the repository' },
  { pattern: /\.\.\/shared\b/, what: 'a folder beside the repository' },
] as const;

export interface Citation {
  readonly path: string;
  readonly line: number;
  readonly text: string;
  readonly what: string;
}

/** Every line of `text` that cites something outside the repository. */
export function outsideCitations(path: string, text: string): Citation[] {
  const found: Citation[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { pattern, what } of OUTSIDE) {
      if (pattern.test(line)) found.push({ path, line: i + 1, text: line.trim(), what });
    }
  });
  return found;
}
