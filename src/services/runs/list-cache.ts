// The JSON text of run lists, kept until a run changes. Dashboards and notebooks poll GET /runs;
// building the list costs a query, a JSON parse per run and a schema pass (about 0.5 ms for a handful
// of runs, more as runs accumulate), and 20 clients polling as fast as they can would spend the main
// thread rebuilding the same text hundreds of times between two training steps.

/** One cached text per filter key; all dropped at once when anything it was built from changes. */
export class ListCache {
  private readonly texts = new Map<string, { text: Promise<string>; at: number }>()
  // bumped by invalidate(): a build that started before a write must not be kept after it
  private generation = 0

  /**
   * @param maxAgeMs how old an entry may get (ms) even without a change seen here: a store shared
   *   with other processes changes under us, and those changes must show within this time
   * @param maxEntries distinct filters kept between two changes (a bound on memory, not a tuning knob)
   */
  constructor(private readonly maxAgeMs = 250, private readonly maxEntries = 64, private readonly now: () => number = () => performance.now()) {}

  /** The text for `key`, built by `build` when absent or too old; concurrent callers share one build. */
  get(key: string, build: () => Promise<string> | string): Promise<string> {
    const t = this.now()
    const hit = this.texts.get(key)
    if (hit && t - hit.at <= this.maxAgeMs) return hit.text
    const gen = this.generation
    const text = Promise.resolve().then(build)
    if (this.texts.size >= this.maxEntries) this.texts.clear()
    this.texts.set(key, { text, at: t })
    // a failed build or one overtaken by a write is not kept
    const drop = () => { if (this.texts.get(key)?.text === text) this.texts.delete(key) }
    text.then(() => { if (gen !== this.generation) drop() }, drop)
    return text
  }

  /** Forgets every entry (call after any write that a list shows). */
  invalidate(): void {
    this.generation++
    if (this.texts.size) this.texts.clear()
  }
}
