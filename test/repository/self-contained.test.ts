import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenMarkdownLinks } from './markdown-links.js';
import { outsideCitations } from './outside-citations.js';
import { REPO_ROOT, repositoryTextFiles } from './repository-files.js';

describe('the repository documents itself', () => {
  const files = repositoryTextFiles();

  it('reads the repository', () => {
    expect(files.some((f) => f.path === 'README.md')).toBe(true);
    expect(files.some((f) => f.path === 'docs/architecture.md')).toBe(true);
  });

  it('cites no document outside the repository', () => {
    const found = files.flatMap((f) => outsideCitations(f.path, f.text));
    expect(found.map((c) => `${c.path}:${c.line}: ${c.what}: ${c.text}`)).toEqual([]);
  });

  it('has Markdown links that resolve to files inside the repository', () => {
    const broken = files
      .filter((f) => f.path.endsWith('.md'))
      .flatMap((f) => brokenMarkdownLinks(f.path, f.text, REPO_ROOT));
    expect(broken.map((b) => `${b.path}:${b.line}: ${b.target} (${b.why})`)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  // The outside paths are put together here, so that this file cites none of them.
  const design = `${'design'.toUpperCase()}.md`;
  const note = (name: string) => ['reference', name].join('/');
  const beside = ['..', 'shared'].join('/');

  it('find a planted citation in a new file, and a link that leaves the repository or goes nowhere', () => {
    const root = mkdtempSync(join(tmpdir(), 'kiln-repo-'));
    try {
      execFileSync('git', ['init', '-q'], { cwd: root });
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'docs', 'here.md'), '# here\n');
      writeFileSync(
        join(root, 'notes.md'),
        [
          `As the design says (${design}, "Wire contract v1").`,
          `See ${note('nats.md')} §2 and ${beside}/${note('clickhouse.md')}.`,
          '[fine](docs/here.md) [up](../outside.md) [gone](docs/missing.md) [web](https://example.com) `[code](../x.md)`',
        ].join('\n'),
      );
      writeFileSync(join(root, 'src.ts'), `/** Labels every alert carries (${design}, "Alert contract"). */\n`);
      const planted = repositoryTextFiles(root);
      expect(planted.map((f) => f.path).sort()).toEqual(['docs/here.md', 'notes.md', 'src.ts']);
      const citations = planted.flatMap((f) => outsideCitations(f.path, f.text));
      expect(citations.map((c) => `${c.path}:${c.line}`)).toEqual([
        'notes.md:1',
        'notes.md:2',
        'notes.md:2',
        'src.ts:1',
      ]);
      const broken = planted.flatMap((f) => (f.path.endsWith('.md') ? brokenMarkdownLinks(f.path, f.text, root) : []));
      expect(broken.map((b) => `${b.target} (${b.why})`)).toEqual([
        '../outside.md (leaves the repository)',
        'docs/missing.md (no such file)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
