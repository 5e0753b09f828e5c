/** An item of one of Anthropic's lists (models, batches, files): an object with an id. */
export interface ListItem {
  id?: unknown;
  [field: string]: unknown;
}

/**
 * A page of one of Anthropic's lists (`{data, has_more, first_id, last_id}`) with only the items
 * `keep` accepts, each passed through `rewrite`, its first_id and last_id following; null when the
 * value is not such a page.
 */
export function narrowPage(
  value: unknown,
  keep: (item: ListItem) => boolean,
  rewrite: (item: ListItem) => ListItem = (item) => item,
): Record<string, unknown> | null {
  const page = value as { data?: unknown } | null;
  if (!page || typeof page !== 'object' || !Array.isArray(page.data)) return null;
  const data = (page.data as ListItem[])
    .filter((item) => item !== null && typeof item === 'object' && keep(item))
    .map(rewrite);
  return { ...page, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
