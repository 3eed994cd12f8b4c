/** One figure from a benchmark suite; `bench/run.ts` prints these as a table and as JSON. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  extra?: Record<string, number>;
}
