import type { Labels } from '../alert.js';
import type { Matcher } from '../labels/matcher.js';
import { matchesAll, parseMatchers } from '../labels/matcher.js';

/** An inhibition rule as configured, in Alertmanager's shape. */
export interface InhibitRuleSpec {
  readonly name?: string | undefined;
  readonly source_matchers: readonly string[];
  readonly target_matchers: readonly string[];
  readonly equal?: readonly string[] | undefined;
}

export interface InhibitRule {
  readonly name: string;
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

export class InhibitRuleError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid inhibit_rules: ${problems.join('; ')}`);
    this.name = 'InhibitRuleError';
  }
}

export function buildInhibitRules(specs: readonly InhibitRuleSpec[]): InhibitRule[] {
  const problems: string[] = [];
  const rules = specs.map((spec, i) => {
    const parse = (side: 'source_matchers' | 'target_matchers'): Matcher[] =>
      spec[side].flatMap((text, j) => {
        // Each entry is a list, as Alertmanager reads it: 'alertname="A", rack="r1"' is two matchers.
        try {
          return parseMatchers(text);
        } catch (err) {
          problems.push(`inhibit_rules[${i}].${side}[${j}]: ${(err as Error).message}`);
          return [];
        }
      });
    return {
      name: spec.name ?? `rule ${i}`,
      source: parse('source_matchers'),
      target: parse('target_matchers'),
      equal: [...(spec.equal ?? [])],
    };
  });
  if (problems.length > 0) throw new InhibitRuleError(problems);
  return rules;
}

interface SourceAlert {
  readonly labels: Labels;
  /** Also matches the rule's target side: such a source cannot inhibit a target that matches both sides. */
  readonly matchesTarget: boolean;
}

/**
 * Mutes target alerts while a firing source alert with equal values of the `equal` labels exists (Alertmanager's
 * inhibitor; a missing label equals an empty one). Firing sources are indexed per rule by their `equal` values, so
 * asking whether an alert is inhibited costs one map lookup per rule whose target side it matches, not a scan.
 */
export class Inhibitor {
  /** Per rule: equal-label values → firing source alerts by fingerprint. */
  private readonly sources: Map<string, Map<string, SourceAlert>>[];

  constructor(readonly rules: readonly InhibitRule[]) {
    this.sources = rules.map(() => new Map());
  }

  /** Records that an alert now fires (firing = true) or no longer does (resolved or gone). */
  update(fingerprint: string, labels: Labels, firing: boolean): void {
    this.rules.forEach((rule, i) => {
      if (!matchesAll(rule.source, labels)) return;
      const index = this.sources[i] as Map<string, Map<string, SourceAlert>>;
      const key = equalKey(rule.equal, labels);
      let bucket = index.get(key);
      if (firing) {
        if (!bucket) index.set(key, (bucket = new Map()));
        bucket.set(fingerprint, { labels, matchesTarget: matchesAll(rule.target, labels) });
      } else if (bucket?.delete(fingerprint) && bucket.size === 0) {
        index.delete(key);
      }
    });
  }

  /** Fingerprints of the firing alerts that inhibit an alert with these labels; empty when it is not inhibited. */
  inhibitedBy(fingerprint: string, labels: Labels): string[] {
    const by: string[] = [];
    this.rules.forEach((rule, i) => {
      if (!matchesAll(rule.target, labels)) return;
      const bucket = this.sources[i]?.get(equalKey(rule.equal, labels));
      if (!bucket) return;
      const twoSided = matchesAll(rule.source, labels);
      for (const [fp, source] of bucket) {
        if (fp === fingerprint || (twoSided && source.matchesTarget) || by.includes(fp)) continue;
        by.push(fp);
      }
    });
    return by;
  }

  /** The rules an alert with these labels is a source of, each with the equal-label values its targets need. */
  targetsOf(source: Labels): { rule: InhibitRule; key: string }[] {
    return this.rules
      .filter((rule) => matchesAll(rule.source, source))
      .map((rule) => ({ rule, key: equalKey(rule.equal, source) }));
  }
}

export function equalKey(names: readonly string[], labels: Labels): string {
  return names.map((n) => labels[n] ?? '').join('\u00ff');
}
