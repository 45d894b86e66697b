// Shared helpers of the benchmarks: a small repeat-and-median harness (no timing is asserted
// anywhere; figures go to RESULTS.md).
import { performance } from 'node:perf_hooks';

export const smoke = process.argv.includes('--smoke');

/** Runs `fn` `iterations` times per repeat, `repeats` times; returns ops/s median, min and max. */
export async function measure(
  fn,
  { iterations, repeats = smoke ? 2 : 7, warmup = Math.min(200, iterations) },
) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const rates = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn(i);
    const seconds = (performance.now() - start) / 1000;
    rates.push(iterations / seconds);
  }
  rates.sort((a, b) => a - b);
  return {
    median: rates[Math.floor(rates.length / 2)],
    min: rates[0],
    max: rates.at(-1),
    repeats,
    iterations,
  };
}

/** Median and p99 of a list of latencies in ms. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), n: sorted.length };
}

export const fmt = (n, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints the result of one benchmark as the single JSON line the runner collects. */
export function report(result) {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

/**
 * Measures several functions in alternation (A, B, A, B, …), so that JIT warm-up, GC and noise
 * from the other core fall on all of them alike; returns one result per function.
 */
export async function measureAlternating(fns, { iterations, repeats = smoke ? 2 : 7 }) {
  const rates = fns.map(() => []);
  for (const fn of fns) for (let i = 0; i < Math.min(2000, iterations); i++) await fn(i);
  for (let r = 0; r < repeats; r++) {
    for (const [k, fn] of fns.entries()) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await fn(i);
      rates[k].push(iterations / ((performance.now() - start) / 1000));
    }
  }
  return rates.map((list) => {
    list.sort((a, b) => a - b);
    return { median: list[Math.floor(list.length / 2)], min: list[0], max: list.at(-1), repeats, iterations };
  });
}
