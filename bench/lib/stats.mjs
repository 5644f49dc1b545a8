// Order statistics for small samples.

// The p-th percentile (0..100) by the nearest-rank method; null for no samples.
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export const median = (values) => percentile(values, 50);

export function summary(values) {
  if (values.length === 0) return { n: 0, p50: null, p99: null, min: null, max: null, mean: null };
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    min: Math.min(...values),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}
