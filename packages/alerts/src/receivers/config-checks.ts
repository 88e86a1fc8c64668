/** Checks shared by the receiver configs; each appends a readable problem to `problems`. */

export function checkHttpUrl(value: unknown, field: string, problems: string[]): void {
  if (typeof value !== 'string') {
    problems.push(`${field}: expected an http(s) URL, got ${typeof value}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${field}: not a URL`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${field}: expected http or https, got ${url.protocol}`);
}

export function checkName(value: unknown, problems: string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 128) {
    problems.push('name: expected a non-empty string of at most 128 characters');
  }
}
