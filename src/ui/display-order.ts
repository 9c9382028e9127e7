/**
 * The order the board shows a scope's rows in. The store keeps its order sorted on every write
 * (running first, then newest first); shown as it is, the list would move whenever a task starts or
 * ends, several times between two polls during a bulk start, and every move shifts the rows under
 * it. The display order takes the store's order once per poll cycle, when the cycle's results are in;
 * between cycles it keeps its own, with new rows placed where the store has them (after the row the
 * store has before them) and rows that are gone left out. So a task that ends stays where it was,
 * showing its outcome, until the cycle ends; then all of the cycle's moves happen in one frame, where
 * the rows that leave the top and the launches that enter it cancel out instead of shifting the list
 * twice. (The output stage moves rows with the terminal's own line moves; this keeps them few.)
 */

export type DisplayOrder = (order: readonly string[], cycle: number) => readonly string[];

/** `shown` without the keys `order` no longer has, with the keys it newly has placed after their predecessor in `order`. */
function merge(shown: readonly string[], order: readonly string[]): readonly string[] {
  // One set, emptied as the shown keys are found in it: what is left are the new keys.
  const fresh = new Set(order);
  const kept: string[] = [];
  for (const key of shown) if (fresh.delete(key)) kept.push(key);
  if (fresh.size === 0) return kept.length === shown.length ? shown : kept;
  /** New keys by the known key they follow (undefined: the top). */
  const following = new Map<string | undefined, string[]>();
  let anchor: string | undefined;
  for (const key of order) {
    if (!fresh.has(key)) anchor = key;
    else {
      const list = following.get(anchor);
      if (list) list.push(key);
      else following.set(anchor, [key]);
    }
  }
  const merged = [...(following.get(undefined) ?? [])];
  for (const key of kept) {
    merged.push(key);
    const after = following.get(key);
    if (after) merged.push(...after);
  }
  return merged;
}

/** One display order (per scope): call it with the store's order and the number of poll cycles done. */
export function createDisplayOrder(): DisplayOrder {
  let shown: readonly string[] | undefined;
  let source: readonly string[] | undefined;
  let adoptedAt = -1;
  return (order, cycle) => {
    if (shown === undefined || cycle !== adoptedAt) {
      adoptedAt = cycle;
      source = shown = order;
    } else if (order !== source) {
      source = order;
      shown = merge(shown, order);
    }
    return shown;
  };
}
