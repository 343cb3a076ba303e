/**
 * Extracts the metric names a PromQL expression reads, without a PromQL
 * parser: strings, label matchers, ranges and grouping clauses are removed,
 * then every identifier that is not a function call or keyword is a name.
 *
 * @module
 */

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

/** Metric names an expression selects, sorted and without duplicates. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const name = m[1]!;
    if (!KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names].sort();
}

/** Metric names of a Grafana template query: `label_values(metric, label)` or PromQL. */
export function templateQueryNames(query: string): string[] {
  const labelValues = /^\s*label_values\(\s*(.*),\s*[a-zA-Z_]\w*\s*\)\s*$/.exec(query);
  if (labelValues) return metricNames(labelValues[1]!);
  if (/^\s*label_values\(\s*[a-zA-Z_]\w*\s*\)\s*$/.test(query)) return [];
  return metricNames(query.replace(/^\s*query_result\((.*)\)\s*$/, "$1"));
}
