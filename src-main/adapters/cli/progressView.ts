// Live progress on a terminal: one line per active run, redrawn in place on stderr.
// Off a TTY it prints one line per finished epoch instead, so logs stay readable.
import type { ProgressEvent } from '../../common/contract'

const BAR_WIDTH = 24

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return '█'.repeat(filled) + '░'.repeat(width - filled)
}

export class ProgressView {
  private readonly lines = new Map<number, string>()
  private drawn = 0

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly labels: Map<number, string>
  ) {}

  private get live(): boolean {
    return this.out.isTTY === true
  }

  handle(e: ProgressEvent): void {
    const label = this.labels.get(e.runId) ?? `run ${e.runId}`
    if (e.type === 'batch') {
      const done = (e.epoch - 1) * e.batches + e.batch
      const fraction = done / (e.epochs * e.batches)
      this.lines.set(
        e.runId,
        `${label.padEnd(20)} ${progressBar(fraction)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
          `epoch ${e.epoch}/${e.epochs}  -ELBO ${e.loss.toFixed(1).padStart(6)}  ` +
          `${Math.round(e.imgPerSec).toLocaleString('en-US')} img/s  ETA ${formatDuration(e.etaSeconds)}`
      )
      if (this.live) this.redraw()
    } else if (e.type === 'epoch') {
      const m = e.metrics
      this.log(
        `${label}: epoch ${m.epoch}  train -ELBO ${m.train.nelbo.toFixed(2)}  test -ELBO ${m.test.nelbo.toFixed(2)} ` +
          `(rec ${m.test.rec.toFixed(2)}, KL ${m.test.kl.toFixed(2)})  ${Math.round(m.imgPerSec)} img/s`
      )
    } else if (e.type === 'status' && e.status !== 'running') {
      this.lines.delete(e.runId)
      this.log(`${label}: ${e.status}${e.message ? ` (${e.message})` : ''}`)
    } else if (e.type === 'status') {
      // The backend detail's parenthesis (BLAS build, threads) is kept for `runs show`.
      this.log(`${label}: training on ${(e.message ?? 'its backend').split(' (')[0]}`)
    }
  }

  private log(text: string) {
    if (this.live) {
      this.clear()
      this.out.write(text + '\n')
      this.redraw()
    } else {
      this.out.write(text + '\n')
    }
  }

  private clear() {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`)
    this.drawn = 0
  }

  private redraw() {
    this.clear()
    const columns = this.out.columns ?? 120
    for (const line of this.lines.values()) this.out.write(line.slice(0, columns - 1) + '\n')
    this.drawn = this.lines.size
  }

  finish(): void {
    if (this.live) this.clear()
  }
}
