// Values kept for later on disk rather than in memory: `recent --hec-events` sends the shown events
// only once the run has ended (an interrupted run sends nothing), and a big log shows millions of
// them. They go as JSON lines into a private temporary file (0600 in a 0700 folder), are read back
// in order, and the file is removed: by dispose(), or when the process exits (a closed pipe ends it
// at once). Events are already value-free (no bodies) when they get here.
import {closeSync, mkdtempSync, openSync, rmSync, writeSync, createReadStream} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'

const FLUSH_BYTES = 1024 * 1024

export class JsonSpool<T> {
  private readonly dir: string
  private readonly file: string
  private fd: number | undefined
  private pending: string[] = []
  private pendingBytes = 0
  private readonly onExit = () => this.dispose()
  count = 0

  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'kubectl-sensitive-access-'))
    this.file = path.join(this.dir, 'spool.jsonl')
    this.fd = openSync(this.file, 'wx', 0o600)
    process.once('exit', this.onExit)
  }

  add(value: T): void {
    const line = JSON.stringify(value) + '\n'
    this.pending.push(line)
    this.pendingBytes += line.length
    this.count++
    if (this.pendingBytes >= FLUSH_BYTES) this.flush()
  }

  /** Every value added, in order. */
  async *values(): AsyncGenerator<T> {
    this.flush()
    const lines = createInterface({input: createReadStream(this.file, {encoding: 'utf8'}), crlfDelay: Number.POSITIVE_INFINITY})
    for await (const line of lines) if (line !== '') yield JSON.parse(line) as T
  }

  dispose(): void {
    process.off('exit', this.onExit)
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    rmSync(this.dir, {recursive: true, force: true})
  }

  private flush(): void {
    if (this.pending.length === 0 || this.fd === undefined) return
    writeSync(this.fd, this.pending.join(''))
    this.pending = []
    this.pendingBytes = 0
  }
}
