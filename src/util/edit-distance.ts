// Edit distance for did-you-mean suggestions (unknown manifest keys, trigger types).

/**
 * The optimal-string-alignment Damerau-Levenshtein distance between `a` and `b`: the number of
 * single-character insertions, deletions, substitutions and adjacent transpositions (`nmae` ->
 * `name` is 1) turning one into the other, no substring edited twice. Counted in UTF-16 code
 * units; O(|a|·|b|) time, for short identifiers.
 */
export function editDistance(a: string, b: string): number {
  // Three rows: the previous two (for transpositions) and the current one.
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to `word` (see {@link editDistance}), compared case-insensitively, when it
 * is at most `max` edits away (default 2) and closer than `word` is long (so `x` never suggests
 * `id`); the first of equally near ones. Undefined when none is near enough.
 */
export function closestMatch(word: string, candidates: Iterable<string>, max = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d <= max && d < w.length && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
