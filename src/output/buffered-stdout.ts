/** Batches small writes and honours backpressure, so `-o json` streams at disk speed into a pipe. */
export class BufferedStdout {
  private parts: string[] = []
  private size = 0

  async write(text: string): Promise<void> {
    if (text === '') return
    this.parts.push(text)
    this.size += text.length
    if (this.size >= 64 * 1024) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const text = this.parts.join('')
    this.parts = []
    this.size = 0
    if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve))
  }
}
