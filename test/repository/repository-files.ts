import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: where its README and .git are. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Files whose bytes are not text a person writes (images, the lockfile npm writes). */
const NOT_PROSE = new Set(['.png', '.jpg', '.jpeg', '.gif', '.ico', '.woff', '.woff2']);

/**
 * The repository's files as git sees them: tracked, and new files not ignored (so a file not yet committed is held to
 * the same rules), each with its text. Paths are relative to the root, with `/`.
 */
export function repositoryTextFiles(root = REPO_ROOT): Array<{ path: string; text: string }> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  const paths = [...new Set(listed.split('\0').filter((p) => p !== ''))];
  const files: Array<{ path: string; text: string }> = [];
  for (const path of paths) {
    if (NOT_PROSE.has(extname(path).toLowerCase()) || path.endsWith('package-lock.json')) continue;
    let text: string;
    try {
      text = readFileSync(`${root}/${path}`, 'utf8');
    } catch {
      continue; // deleted in the working tree, not yet in the index
    }
    if (!text.includes('\0')) files.push({ path, text });
  }
  return files;
}
