/**
 * Thrown by the loader when the configuration cannot be used. It carries every problem found, not just
 * the first, so an operator fixes the file in one pass instead of one restart per typo.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** One line per problem, each `path.to.key: message` (or `file:line:col: message` for YAML syntax). */
  readonly issues: string[];

  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
    this.issues = issues;
  }
}
