import {useStdout} from 'ink'
import {useEffect, useState} from 'react'

export interface TerminalSize {
  columns: number
  rows: number
}

// A stream that is not a terminal has no size; 80x24 is what every terminal starts as.
function read(stdout: NodeJS.WriteStream): TerminalSize {
  return {columns: stdout.columns > 0 ? stdout.columns : 80, rows: stdout.rows > 0 ? stdout.rows : 24}
}

/** The terminal's size, updated on every resize. */
export function useTerminalSize(): TerminalSize {
  const {stdout} = useStdout()
  const [size, setSize] = useState(() => read(stdout))
  useEffect(() => {
    const onResize = () => setSize(read(stdout))
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
