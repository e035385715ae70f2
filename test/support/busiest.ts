/** The most grants in any window of `ms`. */
export function busiest(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= ms) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
