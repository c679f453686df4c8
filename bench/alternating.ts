/**
 * Times several commands against each other in alternating rounds and keeps
 * their medians. Alternating (A B A B …) rather than all A then all B spreads
 * whatever else the machine is doing over every command alike, and the median
 * ignores the odd round that a neighbour's test run slowed down.
 */

import { busyTicks, ticksToSeconds } from './machineCpu';

/** Numbers a run reports about itself besides its duration, e.g. `{ peakRssBytes }`. */
export type Observations = Readonly<Record<string, number>>;

export interface TimedCommandSpec<Context> {
  /** Not timed: runs before every run (a fresh folder, an empty database). */
  prepare: () => Promise<Context>;
  run: (context: Context) => Promise<Observations | void>;
  /** Not timed: runs after every run, also after a failed one. */
  cleanUp?: (context: Context) => Promise<void>;
}

export interface Sample {
  seconds: number;
  /** The whole machine's busy CPU time during the run (machineCpu.ts); undefined without /proc/stat. */
  busyCoreSeconds?: number;
  observations: Observations;
}

/** A command ready to be timed; its context type stays inside. */
export interface TimedCommand {
  /** `beforeCleanUp`: untimed, after the run and before its clean-up (which may remove what it wrote). */
  runOnce(options?: { beforeCleanUp?: () => Promise<void> }): Promise<Sample>;
}

export function timedCommand(run: () => Promise<Observations | void>): TimedCommand {
  return timedCommandWith({ prepare: () => Promise.resolve(), run });
}

export function timedCommandWith<Context>(spec: TimedCommandSpec<Context>): TimedCommand {
  return {
    async runOnce(options = {}): Promise<Sample> {
      const context = await spec.prepare();
      try {
        const ticksBefore = busyTicks();
        const started = performance.now();
        const observations = await spec.run(context);
        const seconds = (performance.now() - started) / 1000;
        const ticksAfter = busyTicks();
        await options.beforeCleanUp?.();
        const busy = ticksBefore === undefined || ticksAfter === undefined ? {} : { busyCoreSeconds: ticksToSeconds(ticksAfter - ticksBefore) };
        return { seconds, ...busy, observations: observations ?? {} };
      } finally {
        await spec.cleanUp?.(context);
      }
    },
  };
}

export interface Measurement {
  /** Every measured round in order; warm-up runs are not included. */
  samples: Sample[];
  medianSeconds: number;
  /** The median of the rounds' busyCoreSeconds, when every round has one. */
  medianBusyCoreSeconds?: number;
  minSeconds: number;
  maxSeconds: number;
}

export interface AlternatingOptions {
  rounds: number;
  /** Untimed rounds first, so that caches and the page cache are warm for every command alike. */
  warmUpRounds?: number;
  onSample?: (event: SampleEvent) => void;
}

export interface SampleEvent {
  name: string;
  /** 1 to `rounds`; warm-up rounds count up to 0. */
  round: number;
  warmUp: boolean;
  sample: Sample;
}

export async function measureAlternating<Name extends string>(commands: Readonly<Record<Name, TimedCommand>>, options: AlternatingOptions): Promise<Record<Name, Measurement>> {
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new Error(`rounds must be a positive integer, not ${options.rounds}`);
  const names = Object.keys(commands) as Name[];
  const samples = new Map<Name, Sample[]>(names.map((name) => [name, []]));
  const warmUpRounds = options.warmUpRounds ?? 1;
  for (let round = 1 - warmUpRounds; round <= options.rounds; round++) {
    const warmUp = round < 1;
    for (const name of names) {
      const sample = await commands[name].runOnce();
      options.onSample?.({ name, round, warmUp, sample });
      if (!warmUp) samples.get(name)?.push(sample);
    }
  }
  const measurements = {} as Record<Name, Measurement>;
  for (const name of names) measurements[name] = summarize(samples.get(name) ?? []);
  return measurements;
}

function summarize(samples: Sample[]): Measurement {
  const seconds = samples.map((sample) => sample.seconds);
  const busy = samples.map((sample) => sample.busyCoreSeconds).filter((value) => value !== undefined);
  return {
    samples,
    medianSeconds: median(seconds),
    ...(busy.length === samples.length && busy.length > 0 ? { medianBusyCoreSeconds: median(busy) } : {}),
    minSeconds: Math.min(...seconds),
    maxSeconds: Math.max(...seconds),
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
