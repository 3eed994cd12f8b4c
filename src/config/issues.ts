import type { z } from "zod";
import { keysAt } from "./introspect.ts";

const REQUIRED = "required";

/** Error map for parsing: a missing required field says so instead of "expected X, received undefined". */
export const parseErrorMap: z.core.$ZodErrorMap = (issue) =>
  issue.code === "invalid_type" && issue.input === undefined ? REQUIRED : undefined;

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function suggestion(parent: readonly PropertyKey[], key: string): string {
  const candidates = keysAt(parent)
    .map((k) => ({ k, d: editDistance(key.toLowerCase(), k) }))
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 3)))
    .sort((a, b) => a.d - b.d);
  return candidates[0] === undefined ? "" : ` (did you mean "${candidates[0].k}"?)`;
}

export interface LocatedIssue {
  path: PropertyKey[];
  message: string;
  /** The key is absent: whoever supplied its parent object is the one to blame. */
  missing: boolean;
}

/** Splits zod issues into one per offending key, with messages phrased for config authors. */
export function explainIssues(issues: readonly z.core.$ZodIssue[]): LocatedIssue[] {
  const out: LocatedIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({
          path: [...issue.path, key],
          message: `unknown key${suggestion(issue.path, key)}`,
          missing: false,
        });
      }
    } else {
      const missing = issue.message === REQUIRED;
      out.push({ path: [...issue.path], message: issue.message, missing });
    }
  }
  return out;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}
