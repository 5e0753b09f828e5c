/**
 * Which models an organization allows: `allowedModels` in its settings, a list of patterns where
 * `*` stands for any run of characters (`claude-sonnet-*`, `claude-*-4-6`), matched against the
 * whole model id. null (the default) allows every model.
 */
export class ModelPolicy {
  private readonly patterns: RegExp[] | null;

  constructor(readonly allowedModels: readonly string[] | null) {
    this.patterns = allowedModels === null ? null : allowedModels.map(toRegExp);
  }

  get restricted(): boolean {
    return this.patterns !== null;
  }

  allows(model: string): boolean {
    return this.patterns === null || this.patterns.some((pattern) => pattern.test(model));
  }
}

export const ALLOW_ALL_MODELS = new ModelPolicy(null);

/** What a pattern may hold: the characters of model ids, and `*`. */
export const MODEL_PATTERN = /^[A-Za-z0-9.*:@_/-]{1,255}$/;

function toRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
