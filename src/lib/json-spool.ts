// Values kept for later on disk rather than in memory: `recent --hec-events` sends the shown events
// only once the run has ended (an interrupted run sends nothing), and a big log shows millions of
// them. They go as JSON lines into a private temporary file (0600 in a 0700 folder), are read back
// in order, and the file is removed: by dispose(), or when the process exits (a closed pipe ends it
// at once), or on the signals it is asked to handle (Ctrl-C, SIGTERM from a scheduler, SIGHUP from
// a closed terminal end the process without an 'exit' event: the file would stay, readable by
// whoever reads the temporary folder later). Events are already value-free (no bodies) when they
// get here.
import {closeSync, mkdtempSync, openSync, rmSync, writeSync, createReadStream} from 'node:fs'
import {constants, tmpdir} from 'node:os'
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
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.dispose()
    // The shell's convention: 128 + the signal number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    process.exit(128 + (constants.signals[signal] ?? 0))
  }
  private readonly signals: NodeJS.Signals[]
  count = 0

  /**
   * `exitOnSignals`: remove the file and exit (128 + the signal number) on these signals. Leave out
   * a signal another handler owns (a cloud fetch's first Ctrl-C stops the fetch, not the process).
   */
  constructor(options: {exitOnSignals?: NodeJS.Signals[]} = {}) {
    // mkdtemp makes the folder 0700; the file is created new (never through a planted link), 0600.
    this.dir = mkdtempSync(path.join(tmpdir(), 'kubectl-sensitive-access-'))
    this.file = path.join(this.dir, 'spool.jsonl')
    this.fd = openSync(this.file, 'wx', 0o600)
    process.once('exit', this.onExit)
    this.signals = options.exitOnSignals ?? []
    for (const signal of this.signals) process.on(signal, this.onSignal)
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
    for (const signal of this.signals) process.off(signal, this.onSignal)
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
