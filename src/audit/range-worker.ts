// Worker thread for readAuditEvents' parallel scan: receives byte ranges of one file, scans each
// with the same line reader as the main thread, and posts the events back (see readParallel).
import {parentPort, workerData} from 'node:worker_threads'
import {scanRange, scannerFor, type ReadOptions} from './reader.js'

const {file, options} = workerData as {file: string; options: ReadOptions}
// One scanner for every range this worker is given: its kernel and probes are set up once.
const scanner = scannerFor(options)

// Ranges are scanned one after the other: they share the scanner's window.
let queue = Promise.resolve()
parentPort?.on('message', (task: {id: number; start: number; end: number}) => {
  queue = queue.then(() =>
    scanRange(file, task.id, task.start, task.end, options, (m) => parentPort?.postMessage(m), scanner).catch(() => {
      parentPort?.postMessage({type: 'failed', id: task.id})
    }),
  )
})
