import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of Grafana dashboard JSON that the query tests read, checked as they are loaded. */
export interface DataSourceRef {
  readonly type?: string;
  readonly uid?: string;
}
export interface Target {
  readonly refId: string;
  readonly datasource?: DataSourceRef;
  readonly rawSql?: string;
  readonly queryType?: string;
}
export interface Panel {
  readonly title: string;
  readonly type: string;
  readonly datasource?: DataSourceRef;
  readonly targets: readonly Target[];
  /** The panel's minimum interval (`1s`). */
  readonly interval?: string;
  readonly maxDataPoints?: number;
}
export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly datasource?: DataSourceRef;
  /** The SQL of a query variable. */
  readonly sql?: string;
  readonly multi: boolean;
  readonly includeAll: boolean;
}
export interface Dashboard {
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  readonly variables: readonly Variable[];
  /** Every panel, those inside collapsed rows included. */
  readonly panels: readonly Panel[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, what: string): never {
  throw new Error(`${where}: ${what}`);
}

function string(o: Json, key: string, where: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : fail(where, `${key} is not a string`);
}

function optionalString(o: Json, key: string, where: string): string | undefined {
  const v = o[key];
  return v === undefined || typeof v === 'string' ? v : fail(where, `${key} is not a string`);
}

function dataSource(v: unknown, where: string): DataSourceRef | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return fail(where, 'datasource is not an object');
  return {
    ...(typeof v.type === 'string' ? { type: v.type } : {}),
    ...(typeof v.uid === 'string' ? { uid: v.uid } : {}),
  };
}

function array(o: Json, key: string, where: string): unknown[] {
  const v = o[key] ?? [];
  return Array.isArray(v) ? v : fail(where, `${key} is not an array`);
}

function panels(list: unknown[], where: string): Panel[] {
  return list.flatMap((p, i): Panel[] => {
    if (!isObject(p)) return fail(where, `panel ${i} is not an object`);
    const at = `${where} panel ${JSON.stringify(p.title ?? i)}`;
    const nested = panels(array(p, 'panels', at), at);
    if (p.type === 'row') return nested;
    const targets = array(p, 'targets', at).map((t, j): Target => {
      if (!isObject(t)) return fail(at, `target ${j} is not an object`);
      const rawSql = optionalString(t, 'rawSql', at);
      const queryType = optionalString(t, 'queryType', at);
      const ds = dataSource(t.datasource, at);
      return {
        refId: string(t, 'refId', at),
        ...(ds ? { datasource: ds } : {}),
        ...(rawSql !== undefined ? { rawSql } : {}),
        ...(queryType !== undefined ? { queryType } : {}),
      };
    });
    const interval = optionalString(p, 'interval', at);
    const ds = dataSource(p.datasource, at);
    return [
      {
        title: string(p, 'title', at),
        type: string(p, 'type', at),
        ...(ds ? { datasource: ds } : {}),
        targets,
        ...(interval !== undefined && interval !== '' ? { interval } : {}),
        ...(typeof p.maxDataPoints === 'number' ? { maxDataPoints: p.maxDataPoints } : {}),
      },
      ...nested,
    ];
  });
}

function variables(o: Json, where: string): Variable[] {
  const templating = o.templating;
  const list = isObject(templating) ? array(templating, 'list', where) : [];
  return list.map((v, i): Variable => {
    if (!isObject(v)) return fail(where, `variable ${i} is not an object`);
    const at = `${where} variable ${JSON.stringify(v.name ?? i)}`;
    const query = v.query;
    const sql =
      typeof query === 'string'
        ? query
        : isObject(query) && typeof query.rawSql === 'string'
          ? query.rawSql
          : undefined;
    const ds = dataSource(v.datasource, at);
    return {
      name: string(v, 'name', at),
      type: string(v, 'type', at),
      ...(ds ? { datasource: ds } : {}),
      ...(sql !== undefined ? { sql } : {}),
      multi: v.multi === true,
      includeAll: v.includeAll === true,
    };
  });
}

/** Every dashboard in `dir`. */
export function loadDashboards(dir: string): Dashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const json: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (!isObject(json)) return fail(file, 'not a JSON object');
      return {
        file,
        uid: string(json, 'uid', file),
        title: string(json, 'title', file),
        variables: variables(json, file),
        panels: panels(array(json, 'panels', file), file),
      };
    });
}
