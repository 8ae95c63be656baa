// YAML (and JSON, a subset of it) parsed with positions, and ajv errors mapped back to file:line:col.
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ErrorObject } from 'ajv';
import type { Problem } from './errors.js';

export interface YamlSource {
  file: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
  problems: Problem[];
}

/** Parses text; syntax errors, duplicate keys and alias bombs become problems, never throws. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const problems: Problem[] = doc.errors.map((e) => ({
    file,
    line: e.linePos?.[0].line,
    col: e.linePos?.[0].col,
    message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
  }));
  let value: unknown = null;
  if (problems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ file, line: 1, col: 1, message: (err as Error).message });
    }
  }
  return { file, doc, lines, value, problems };
}

/** Line and column of the node at `path`, or of the nearest parent that exists. */
export function locate(src: YamlSource, path: (string | number)[], keyOf?: string): { line: number; col: number } {
  let node: unknown = src.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  const steps: [string | number, boolean][] = path.map((s) => [s, false]);
  if (keyOf !== undefined) steps.push([keyOf, true]);
  for (const [segment, wantKey] of steps) {
    const next = findChild(node, segment, wantKey);
    if (next === undefined) break;
    node = next.node;
    offset = next.offset;
  }
  const pos = src.lines.linePos(offset);
  return { line: pos.line, col: pos.col };
}

function findChild(
  node: unknown,
  segment: string | number,
  wantKey: boolean,
): { node: unknown; offset: number } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
    if (!pair) return undefined;
    const target = wantKey ? pair.key : (pair.value ?? pair.key);
    return { node: target, offset: (target as Node | null)?.range?.[0] ?? 0 };
  }
  if (node && typeof node === 'object' && 'items' in node && typeof segment === 'number') {
    const item = (node as { items: unknown[] }).items[segment];
    if (item === undefined) return undefined;
    return { node: item, offset: (item as Node | null)?.range?.[0] ?? 0 };
  }
  return undefined;
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** What an ajv error says, without naming where: e.g. `must be one of block, drop`. */
function describeAjvError(e: ErrorObject): { key?: string; text: string } {
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      return { key, text: `unknown key "${key}"` };
    }
    case 'enum':
      return { text: `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { text: `must be ${JSON.stringify(e.params.allowedValue)}` };
    case 'required':
      return { text: `missing required key "${String(e.params.missingProperty)}"` };
    case 'pattern':
      if (e.schemaPath.includes('/duration/')) return { text: 'must be a duration such as 500ms, 10s, 5m or 1h' };
      return { text: `must match ${String(e.params.pattern)}` };
    default:
      return { text: e.message ?? 'is invalid' };
  }
}

/** `engine.queue.whenFull: must be one of block, drop`; `label` may name the place differently. */
export function ajvProblems(
  errors: ErrorObject[],
  src: YamlSource | undefined,
  file: string,
  prefix: (string | number)[] = [],
  label: (path: (string | number)[]) => string = (path) => path.join('.') || '(top level)',
): Problem[] {
  // an `if` failure only repeats the error of the branch it chose
  return errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const path = pathOf(e.instancePath);
      const { key, text } = describeAjvError(e);
      const pos = src ? locate(src, [...prefix, ...path], key) : undefined;
      return { file, line: pos?.line, col: pos?.col, message: `${label([...prefix, ...path])}: ${text}` };
    });
}
