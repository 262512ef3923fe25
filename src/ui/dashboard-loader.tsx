// Shows a spinner and the loader's progress messages until the data is there, then the dashboard.
// A failing loader ends the app with its error, so `runDashboard` can reject with one line.
import {Spinner, ThemeProvider, defaultTheme, extendTheme} from '@inkjs/ui'
import {Box, Text, useApp, useInput, useStdin} from 'ink'
import {useEffect, useState} from 'react'
import {Dashboard, colourFromEnv, type DashboardProps} from './dashboard.js'
import type {DashboardData} from './model.js'
import {clean} from './text.js'

// @inkjs/ui colours the spinner blue whatever NO_COLOR says (chalk 5 does not read NO_COLOR).
const MONOCHROME = extendTheme(defaultTheme, {components: {Spinner: {styles: {frame: () => ({})}}}})

/** Loads the dashboard's data; `progress` updates the message under the spinner. */
export type DashboardLoaderFn = (progress: (message: string) => void) => Promise<DashboardData>

export interface DashboardLoaderProps extends Omit<DashboardProps, 'data'> {
  loader: DashboardLoaderFn
  /** First message under the spinner. */
  message?: string
}

export function DashboardLoader({loader, message, ...rest}: DashboardLoaderProps) {
  const {exit} = useApp()
  const {isRawModeSupported} = useStdin()
  const [data, setData] = useState<DashboardData | undefined>(undefined)
  const [progress, setProgress] = useState(message ?? 'Loading…')
  useEffect(() => {
    // The loader may still report progress after the user quit; ignore it then.
    let live = true
    loader((m) => {
      if (live) setProgress(m)
    }).then(
      (loaded) => {
        if (live) setData(loaded)
      },
      (error: unknown) => {
        if (live) exit(error instanceof Error ? error : new Error(String(error)))
      },
    )
    return () => {
      live = false
    }
  }, [loader, exit])
  // Quitting must work while a slow cluster is still answering.
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) {
        rest.onQuit?.()
        exit()
      }
    },
    {isActive: data === undefined && (rest.input ?? isRawModeSupported === true)},
  )
  if (data) return <Dashboard data={data} {...rest} />
  const colour = rest.colour ?? colourFromEnv()
  const spinner = <Spinner label={clean(progress)} />
  return (
    <Box flexDirection="column">
      <Text bold>kubectl sensitive-access</Text>
      {colour ? spinner : <ThemeProvider theme={MONOCHROME}>{spinner}</ThemeProvider>}
      <Text>q or Ctrl-C to quit</Text>
    </Box>
  )
}
