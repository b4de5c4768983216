// The workbench's way of working the queue: up to `workers` slots, each training queued runs one
// after another until none is left, and a watch that notices what other processes did (a CLI
// with --detach queues a sweep: it starts here too, and the UI hears that the runs changed).
const WATCH_MS = 2000
const RETRY_MS = 5000
const STOP_GRACE_MS = 15_000

export interface BackgroundQueueDeps {
  workers: number
  hasQueued(): Promise<boolean>
  /**
   * Trains queued runs one at a time until none is left or `signal` aborts; `kill` aborts when
   * the workers had their time to stop (they are terminated, their runs requeued).
   */
  workOne(signal: AbortSignal, kill: AbortSignal): Promise<unknown>
  /** A value that changes when another connection wrote to the store. */
  changeToken(): Promise<string>
  onChange(): void
  /** How long stop() lets runs in training finish their batch and report; default 15 s. */
  stopGraceMs?: number
}

export class BackgroundQueue {
  private readonly slots = new Set<Promise<unknown>>()
  private readonly abort = new AbortController()
  private readonly kill = new AbortController()
  private watch: ReturnType<typeof setInterval> | undefined
  private retryAfter = 0
  private kicking = false
  private kickAgain = false

  constructor(private readonly deps: BackgroundQueueDeps) {}

  /** Starts working whatever was left queued, and watches the store for other processes' writes. */
  start(): void {
    this.kick()
    let seen: string | undefined
    let watching = false
    const look = async () => {
      const token = await this.deps.changeToken()
      if (seen !== undefined && token !== seen) this.deps.onChange()
      seen = token
      if (Date.now() >= this.retryAfter) this.kick()
    }
    void look().catch(() => {})
    this.watch = setInterval(() => {
      if (watching) return
      watching = true
      look()
        .catch((e: unknown) => console.error('vae-lab: cannot read the run database:', e))
        .finally(() => (watching = false))
    }, WATCH_MS)
  }

  /**
   * Stops claiming runs; runs in training go back to the front of the queue (they continue from
   * their checkpoint at the next start). A worker that does not stop within the grace period is
   * terminated, and its run requeued the same way: this resolves only when every run's status is
   * written, so the caller may close the store (issue 12, finding 6).
   */
  async stop(): Promise<void> {
    clearInterval(this.watch)
    this.abort.abort()
    const settled = Promise.all(this.slots)
    let timer: ReturnType<typeof setTimeout> | undefined
    const inTime = await Promise.race([
      settled.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.deps.stopGraceMs ?? STOP_GRACE_MS)
      })
    ])
    clearTimeout(timer)
    if (!inTime) {
      this.kill.abort()
      await settled
    }
  }

  /**
   * Fills free slots: a sweep queued while others train starts at once on any idle slot. Calls
   * that arrive while one is filling make it look once more, so none is lost and none doubles.
   */
  kick(): void {
    if (this.kicking) {
      this.kickAgain = true
      return
    }
    this.kicking = true
    void this.fill()
      .catch((e: unknown) => {
        console.error('vae-lab: cannot read the queue:', e)
        this.retryAfter = Date.now() + RETRY_MS
      })
      .finally(() => {
        this.kicking = false
        if (this.kickAgain) {
          this.kickAgain = false
          this.kick()
        }
      })
  }

  private async fill(): Promise<void> {
    const { signal } = this.abort
    while (
      this.slots.size < this.deps.workers &&
      !signal.aborted &&
      (await this.deps.hasQueued())
    ) {
      const slot: Promise<unknown> = this.deps
        .workOne(signal, this.kill.signal)
        .then(
          () => this.kick(), // runs queued while this slot was finishing
          (e: unknown) => {
            // Say, the database stayed locked while claiming: try again from the watch timer,
            // not in a tight loop.
            console.error('vae-lab: a queue slot stopped:', e)
            this.retryAfter = Date.now() + RETRY_MS
          }
        )
        .finally(() => this.slots.delete(slot))
      this.slots.add(slot)
    }
  }
}
