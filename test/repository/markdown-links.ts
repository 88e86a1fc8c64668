import { existsSync } from 'node:fs';
import { posix } from 'node:path';

export interface BrokenLink {
  readonly path: string;
  readonly line: number;
  readonly target: string;
  readonly why: string;
}

/** Inline links and images `[text](target)` and reference definitions `[name]: target`. */
const LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g;
const FENCE = /^\s{0,3}(```|~~~)/;

/**
 * The relative links of a Markdown file that do not resolve to a file or folder inside the repository: a link that
 * climbs out of the root, or one to a path that does not exist. Links with a scheme (https:, mailto:) and in-page
 * anchors are not checked; code blocks and inline code are not links.
 */
export function brokenMarkdownLinks(path: string, text: string, root: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) return;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(LINK)) {
      const raw = m[1] ?? m[2];
      if (raw === undefined || /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('#')) continue;
      const target = decodeURI(raw.split('#')[0]!.split('?')[0]!);
      const resolved = posix.normalize(
        target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(path), target),
      );
      if (resolved === '..' || resolved.startsWith('../'))
        broken.push({ path, line: i + 1, target: raw, why: 'leaves the repository' });
      else if (!existsSync(posix.join(root, resolved)))
        broken.push({ path, line: i + 1, target: raw, why: 'no such file' });
    }
  });
  return broken;
}
