// A small line diff (longest common subsequence) for readable drift reports.
export function lineDiff(before: string, after: string, maxLines = 40): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // trim the common head and tail so the table stays small
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  if (x.length * y.length > 4_000_000) {
    return `  (${x.length} lines changed near line ${head + 1}; too large to show)`;
  }
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let changes = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
    } else if (j < y.length && (i >= x.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      changes++;
      if (out.length < maxLines) out.push(`  ${String(head + j + 1).padStart(5)} + ${y[j]}`);
      j++;
    } else {
      changes++;
      if (out.length < maxLines) out.push(`  ${String(head + i + 1).padStart(5)} - ${x[i]}`);
      i++;
    }
  }
  if (changes > out.length) out.push(`  … ${changes - out.length} more changed lines`);
  return out.join('\n');
}
