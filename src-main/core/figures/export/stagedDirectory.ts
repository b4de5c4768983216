// All-or-nothing output: files are written into a hidden temporary folder beside (or inside) the
// target and moved into place only when everything succeeded, so a failure leaves no partial files.
import fs from 'node:fs'
import path from 'node:path'
import { VaeLabError } from '../../../common/errors'

const PREFIX = '.vae-lab-export-'

export class StagedDirectory {
  private readonly written: string[] = []

  private constructor(
    readonly target: string,
    /** The temporary folder the files go to until `commit`. */
    readonly staging: string,
    /** True when `target` did not exist: the staging folder becomes it with one rename. */
    private readonly fresh: boolean
  ) {}

  /**
   * Checks that `target` can be written, by creating the staging folder (an access check lies for
   * root and on read-only mounts): INVALID_INPUT with the reason when it cannot.
   */
  static open(target: string): StagedDirectory {
    const abs = path.resolve(target)
    let existing = abs
    while (!fs.existsSync(existing)) existing = path.dirname(existing)
    if (!fs.statSync(existing).isDirectory()) {
      const what =
        existing === abs
          ? `${target} is a file, not a directory`
          : `${existing} is a file, so ${target} cannot be created`
      throw new VaeLabError('INVALID_INPUT', `cannot write to ${target}: ${what}`, {
        field: 'outDir'
      })
    }
    try {
      return new StagedDirectory(abs, fs.mkdtempSync(path.join(existing, PREFIX)), existing !== abs)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error'
      throw new VaeLabError(
        'INVALID_INPUT',
        `cannot write to ${target}: ${existing} is not writable (${code}); choose another folder`,
        { field: 'outDir', cause: e }
      )
    }
  }

  /** Writes `bytes` at `rel` (a relative path with '/') inside the staging folder. */
  write(rel: string, bytes: Uint8Array | string): void {
    const file = path.join(this.staging, ...rel.split('/'))
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, bytes)
    this.written.push(rel)
  }

  files(): string[] {
    return [...this.written]
  }

  /** Files written so far that `commit` would replace in the target. */
  existing(): string[] {
    if (this.fresh) return []
    return this.written.filter((rel) => fs.existsSync(path.join(this.target, ...rel.split('/'))))
  }

  /** Moves everything into `target`, replacing files of the same name, then removes the staging folder. */
  commit(): void {
    if (this.fresh) {
      fs.mkdirSync(path.dirname(this.target), { recursive: true })
      fs.renameSync(this.staging, this.target)
      return
    }
    for (const rel of this.written) {
      const dest = path.join(this.target, ...rel.split('/'))
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      fs.renameSync(path.join(this.staging, ...rel.split('/')), dest)
    }
    fs.rmSync(this.staging, { recursive: true, force: true })
  }

  /** Removes the staging folder and everything in it. */
  abort(): void {
    fs.rmSync(this.staging, { recursive: true, force: true })
  }
}
