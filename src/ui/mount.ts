// Mounting the dashboard on the real terminal. The terminal must come back usable whatever
// happens: raw mode off, cursor shown, the alternate screen left, even when the UI throws.
import {openSync} from 'node:fs'
import {ReadStream} from 'node:tty'
import {render, useApp, type Instance} from 'ink'
import {Component, createElement, useEffect, type ReactNode} from 'react'
import {Dashboard} from './dashboard.js'
import {DashboardLoader, type DashboardLoaderFn} from './dashboard-loader.js'
import type {DashboardData, RuleInfoLookup, Subscribe, ViewId} from './model.js'

export interface RunDashboardOptions {
  subscribe?: Subscribe
  ruleInfo?: RuleInfoLookup
  /** First message under the spinner while a loader runs. */
  message?: string
  /** The view shown first (e.g. 'unused'); ignored when the data cannot show it. */
  initialView?: ViewId
  /** Defaults: the process's streams. */
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
  stderr?: NodeJS.WriteStream
  /** Draw on the terminal's alternate screen, so quitting restores what was there. Default true. */
  alternateScreen?: boolean
  /** When stdin is not a terminal, read keys from /dev/tty instead. Default true. */
  ttyFallback?: boolean
  /** Route console.* output through Ink so it cannot tear the screen. Default true. */
  patchConsole?: boolean
}

export type RunDashboardResult =
  /** The user quit. */
  | {status: 'quit'}
  /** stdout is not a terminal: nothing was drawn; print plain output instead. */
  | {status: 'not-a-terminal'}
  /** No keyboard could be opened (no TTY stdin, no /dev/tty): nothing was drawn; print plain output instead. */
  | {status: 'no-keyboard'}

const ENTER_ALT_SCREEN = '\u001b[?1049h'
const LEAVE_ALT_SCREEN = '\u001b[?1049l'
const SHOW_CURSOR = '\u001b[?25h'

/**
 * Show the dashboard until the user quits. Resolves `{status: 'not-a-terminal'}` without drawing
 * anything when stdout is not a terminal. Rejects with a one-line error when loading or the UI
 * fails, after the terminal is restored.
 */
export async function runDashboard(input: DashboardData | DashboardLoaderFn, options: RunDashboardOptions = {}): Promise<RunDashboardResult> {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  if (stdout.isTTY !== true) return {status: 'not-a-terminal'}

  // When stdin carries data (a piped audit log), keys are read from the controlling terminal.
  const keyboard = openKeyboard(options.stdin ?? process.stdin, options.ttyFallback ?? true)
  // A dashboard nobody can scroll or quit is worse than the plain report.
  if (!keyboard.interactive) return {status: 'no-keyboard'}
  const alt = options.alternateScreen ?? true
  const common = {subscribe: options.subscribe, ruleInfo: options.ruleInfo, input: true, ...(options.initialView ? {initialView: options.initialView} : {})}
  const tree =
    typeof input === 'function'
      ? createElement(DashboardLoader, {...common, loader: input, message: options.message})
      : createElement(Dashboard, {...common, data: input})

  const restoreOnSignal = () => instance?.unmount()
  let instance: Instance | undefined
  if (alt) stdout.write(ENTER_ALT_SCREEN)
  try {
    // Raw mode from the first moment: Ink enables it only in an effect after the first frame,
    // and keys typed before that would be echoed by the terminal and lost.
    keyboard.stream.setRawMode(true)
    instance = render(createElement(ErrorBoundary, null, tree), {stdout, stderr, stdin: keyboard.stream, exitOnCtrlC: true, patchConsole: options.patchConsole ?? true})
    process.once('SIGTERM', restoreOnSignal)
    process.once('SIGHUP', restoreOnSignal)
    await instance.waitUntilExit()
    return {status: 'quit'}
  } catch (error) {
    throw new Error(`dashboard failed: ${oneLine(error)}`)
  } finally {
    process.off('SIGTERM', restoreOnSignal)
    process.off('SIGHUP', restoreOnSignal)
    instance?.unmount()
    instance?.cleanup()
    if (keyboard.stream.isTTY && typeof keyboard.stream.setRawMode === 'function') keyboard.stream.setRawMode(false)
    if (keyboard.opened) keyboard.stream.destroy()
    else keyboard.stream.pause()
    stdout.write(SHOW_CURSOR + (alt ? LEAVE_ALT_SCREEN : ''))
  }
}

function openKeyboard(stdin: NodeJS.ReadStream, ttyFallback: boolean): {stream: NodeJS.ReadStream; interactive: boolean; opened: boolean} {
  if (stdin.isTTY === true && typeof stdin.setRawMode === 'function') return {stream: stdin, interactive: true, opened: false}
  if (!ttyFallback) return {stream: stdin, interactive: false, opened: false}
  try {
    const tty = new ReadStream(openSync('/dev/tty', 'r')) as unknown as NodeJS.ReadStream
    return {stream: tty, interactive: true, opened: true}
  } catch {
    return {stream: stdin, interactive: false, opened: false}
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return (message.split('\n').find((l) => l.trim() !== '') ?? 'unknown error').trim()
}

// Catches a render error so the app exits through Ink (restoring the terminal) with that error,
// instead of Ink printing a stack trace over the dashboard.
class ErrorBoundary extends Component<{children?: ReactNode}, {error?: Error}> {
  override state: {error?: Error} = {}

  static getDerivedStateFromError(error: Error) {
    return {error}
  }

  override render() {
    return this.state.error ? createElement(ExitWithError, {error: this.state.error}) : this.props.children
  }
}

function ExitWithError({error}: {error: Error}) {
  const {exit} = useApp()
  useEffect(() => exit(error), [exit, error])
  return null
}
