import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What build of Kiln this process runs: `kiln --version`, kiln_build_info, service.version and the alerter's status. */
export interface BuildInfo {
  /** The root package.json's version. */
  readonly version: string;
  /** The git commit of the checkout Kiln runs from; "unknown" outside a git checkout (an image built without .git). */
  readonly revision: string;
  /** The Node.js version running it. */
  readonly node: string;
}

export const UNKNOWN_REVISION = 'unknown';

let cached: BuildInfo | undefined;

/**
 * The build info, read once from the repository Kiln runs from. The revision is read from the checkout at run time,
 * not stamped at build time: turbo replays cached builds across commits, so a stamped revision would go stale.
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const root = repositoryRoot(dirname(fileURLToPath(import.meta.url)));
  cached = {
    version: root ? readVersion(root) : '0.0.0',
    revision: root ? gitRevision(root) : UNKNOWN_REVISION,
    node: process.version,
  };
  return cached;
}

/** The nearest directory above `from` whose package.json declares the workspaces: Kiln's repository root. */
function repositoryRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = readJson(join(dir, 'package.json'));
    if (manifest && Array.isArray(manifest.workspaces)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function readVersion(root: string): string {
  const version = readJson(join(root, 'package.json'))?.version;
  return typeof version === 'string' ? version : '0.0.0';
}

/**
 * The commit HEAD names in `root`'s git checkout, read from the files git keeps (no git binary needed): a plain
 * checkout's .git directory or a worktree's .git file, a loose ref or packed-refs. Anything unreadable is "unknown".
 */
export function gitRevision(root: string): string {
  try {
    const dotGit = join(root, '.git');
    if (!existsSync(dotGit)) return UNKNOWN_REVISION;
    const gitDir = statSync(dotGit).isDirectory()
      ? dotGit
      : resolve(
          root,
          readFileSync(dotGit, 'utf8')
            .replace(/^gitdir:\s*/, '')
            .trim(),
        );
    // A worktree keeps its HEAD in its own directory and its refs in the common one.
    const commonDir = existsSync(join(gitDir, 'commondir'))
      ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
    if (ref === undefined) return isCommit(head) ? head : UNKNOWN_REVISION;
    for (const dir of [gitDir, commonDir]) {
      const loose = join(dir, ref);
      if (existsSync(loose)) {
        const commit = readFileSync(loose, 'utf8').trim();
        return isCommit(commit) ? commit : UNKNOWN_REVISION;
      }
    }
    const packed = join(commonDir, 'packed-refs');
    if (!existsSync(packed)) return UNKNOWN_REVISION;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [commit, name] = line.trim().split(' ');
      if (name === ref && commit !== undefined && isCommit(commit)) return commit;
    }
    return UNKNOWN_REVISION;
  } catch {
    return UNKNOWN_REVISION;
  }
}

function isCommit(text: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
