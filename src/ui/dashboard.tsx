// The interactive dashboard: four views (five with unused data) over one data set, keyboard driven. All state lives in
// this component as a handful of numbers and strings (selection, window top, filter, sort per
// view); derived lists are memoised so a keypress that only moves the selection touches nothing
// but the visible slice.
import {Box, Text, useApp, useInput, useStdin, type Key} from 'ink'
import {useCallback, useEffect, useMemo, useRef, useState} from 'react'
import type {AuditEvent} from '../audit/event.js'
import type {Finding} from '../detect/finding.js'
import {
  EVENT_SORTS,
  FINDING_SORTS,
  UNUSED_SORTS,
  WHO_CAN_SORTS,
  eventDetailLines,
  eventsOfIdentity,
  filterEvents,
  filterFindings,
  filterUnused,
  filterWhoCan,
  eventsByEvidence,
  findingDetailLines,
  identityLabel,
  identityOfUsername,
  mergeNewestFirst,
  rowsOfIdentity,
  sortEvents,
  sortFindings,
  sortUnused,
  sortWhoCan,
  summarise,
  unusedDetailLines,
  whoCanDetailLines,
} from './derive.js'
import {START, move, visibleSlice, type ListPosition} from './list-window.js'
import {viewsFor, type DashboardData, type IdentityRef, type RuleInfoLookup, type Subscribe, type UnusedRow, type ViewId, type WhoCanRow} from './model.js'
import {clean, wrapLines} from './text.js'
import {useTerminalSize} from './use-terminal-size.js'
import {
  EventHeader,
  EventRowLine,
  FindingHeader,
  FindingRowLine,
  HELP_LINES,
  Line,
  SummaryPanels,
  TextPane,
  UnusedHeader,
  UnusedRowLine,
  WhoCanHeader,
  WhoCanRowLine,
  identityCanLines,
} from './views.js'

export interface DashboardProps {
  data: DashboardData
  /** Live events for `--follow`. */
  subscribe?: Subscribe
  /** A rule's description and known false positives, for the Findings details. */
  ruleInfo?: RuleInfoLookup
  /** Called when the user quits (q, Ctrl-C), before the app exits. */
  onQuit?: () => void
  /** Fixed size; by default the dashboard follows the terminal and its resizes. */
  width?: number
  height?: number
  /** Colours on or off; by default off when NO_COLOR is set (https://no-color.org). */
  colour?: boolean
  /** Keyboard input; by default only when stdin supports raw mode. */
  input?: boolean
  /** The view shown first; by default Who can when there is who-can data, else Unused or Recent. */
  initialView?: ViewId
}

type Detail =
  | {type: 'who-can'; row: WhoCanRow}
  | {type: 'event'; event: AuditEvent}
  | {type: 'finding'; finding: Finding}
  | {type: 'unused'; row: UnusedRow}

const SORTS = {'who-can': WHO_CAN_SORTS, recent: EVENT_SORTS, findings: FINDING_SORTS, identity: EVENT_SORTS, unused: UNUSED_SORTS} as const

// The four lines around every view: title, tabs, status, key hints.
const CHROME = 4

export function colourFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['NO_COLOR'] === undefined || env['NO_COLOR'] === ''
}

export function Dashboard(props: DashboardProps) {
  const {data, subscribe, ruleInfo, onQuit} = props
  const {exit} = useApp()
  const {isRawModeSupported} = useStdin()
  const terminal = useTerminalSize()
  const width = Math.max(40, props.width ?? terminal.columns)
  // One line short of the terminal: a frame as tall as the screen makes Ink clear the whole
  // terminal on every update, which flickers.
  const height = Math.max(12, props.height ?? terminal.rows - 1)
  const colour = props.colour ?? colourFromEnv()
  const inputActive = props.input ?? isRawModeSupported === true

  const views = viewsFor(data)
  const [view, setView] = useState<ViewId>(() => {
    const wanted = props.initialView
    if (wanted !== undefined && views.some((v) => v.id === wanted)) return wanted
    return data.whoCan ? 'who-can' : data.unused ? 'unused' : 'recent'
  })
  // Keys not handled yet, oldest first: each acts on the state the one before it left.
  const pendingKeys = useRef<[string, Key][]>([])
  const [, setKeyTick] = useState(0)
  const [positions, setPositions] = useState<Record<ViewId, ListPosition>>({'who-can': START, recent: START, findings: START, identity: START, unused: START})
  const [filters, setFilters] = useState<Record<ViewId, string>>({'who-can': '', recent: '', findings: '', identity: '', unused: ''})
  const [sorts, setSorts] = useState<Record<ViewId, number>>({'who-can': 0, recent: 0, findings: 0, identity: 0, unused: 0})
  const [editing, setEditing] = useState<string | undefined>(undefined)
  const [detail, setDetail] = useState<Detail | undefined>(undefined)
  const [detailOffset, setDetailOffset] = useState(0)
  const [help, setHelp] = useState(false)
  const [identity, setIdentity] = useState<IdentityRef | undefined>(undefined)

  // Events newest first, sorted once per data set; live batches are merged into that order
  // (O(n) per batch) and dropped if the data set itself is replaced.
  const base = useMemo(() => sortEvents(data.events, 'newest'), [data.events])
  const baseRef = useRef(base)
  baseRef.current = base
  const [merged, setMerged] = useState<{base: AuditEvent[]; list: AuditEvent[]} | undefined>(undefined)
  const events = merged !== undefined && merged.base === base ? merged.list : base
  useEffect(() => {
    if (!subscribe) return undefined
    return subscribe((batch) => {
      if (batch.length === 0) return
      setMerged((m) => {
        const current = m !== undefined && m.base === baseRef.current ? m.list : baseRef.current
        return {base: baseRef.current, list: mergeNewestFirst(current, batch)}
      })
    })
  }, [subscribe])

  // ---- derived lists: sort first (changes rarely), then filter; both memoised ----
  const whoCanRows = data.whoCan?.rows
  const whoCanSorted = useMemo(() => sortWhoCan(whoCanRows ?? [], WHO_CAN_SORTS[sorts['who-can']] ?? 'risk'), [whoCanRows, sorts['who-can']])
  const whoCanList = useMemo(() => filterWhoCan(whoCanSorted, filters['who-can']), [whoCanSorted, filters['who-can']])

  const unusedRows = data.unused?.rows
  const unusedSorted = useMemo(() => sortUnused(unusedRows ?? [], UNUSED_SORTS[sorts.unused] ?? 'class'), [unusedRows, sorts.unused])
  const unusedList = useMemo(() => filterUnused(unusedSorted, filters.unused), [unusedSorted, filters.unused])

  const eventSort = EVENT_SORTS[sorts.recent] ?? 'newest'
  const eventsSorted = useMemo(() => (eventSort === 'newest' ? events : sortEvents(events, eventSort)), [events, eventSort])
  const eventList = useMemo(() => filterEvents(eventsSorted, filters.recent), [eventsSorted, filters.recent])

  const findingsSorted = useMemo(() => sortFindings(data.findings, FINDING_SORTS[sorts.findings] ?? 'severity'), [data.findings, sorts.findings])
  const findingList = useMemo(() => filterFindings(findingsSorted, filters.findings), [findingsSorted, filters.findings])

  const identityEventsAll = useMemo(() => (identity ? eventsOfIdentity(events, identity) : []), [events, identity])
  const identitySort = EVENT_SORTS[sorts.identity] ?? 'newest'
  const identityEventsSorted = useMemo(
    () => (identitySort === 'newest' ? identityEventsAll : sortEvents(identityEventsAll, identitySort)),
    [identityEventsAll, identitySort],
  )
  const identityEvents = useMemo(() => filterEvents(identityEventsSorted, filters.identity), [identityEventsSorted, filters.identity])
  const identityRows = useMemo(() => (identity ? rowsOfIdentity(whoCanRows ?? [], identity, identityEventsAll) : []), [whoCanRows, identity, identityEventsAll])

  const eventsByAuditId = useMemo(() => eventsByEvidence(events), [events])

  // ---- layout ----
  const body = height - CHROME
  const summaryLines = body >= 18 ? 3 : body >= 13 ? 2 : 0
  const warnings = data.whoCan?.warnings ?? []
  const sideBySide = width >= 110
  const canLines = useMemo(() => (identity ? identityCanLines(identity, identityRows, data.whoCan !== undefined) : []), [identity, identityRows, data.whoCan])
  const canPaneHeight = sideBySide ? body - 2 : Math.min(canLines.length, Math.max(2, Math.floor((body - 4) / 3)))

  const visibleFor = (v: ViewId): number => {
    switch (v) {
      case 'who-can':
        return body - 2 - (warnings.length > 0 ? 1 : 0)
      case 'recent':
        return body - 1 - (summaryLines > 0 ? summaryLines + 1 : 0)
      case 'findings':
        return body - 1
      case 'identity':
        return sideBySide ? body - 3 : body - 4 - canPaneHeight
      case 'unused':
        return body - 2
    }
  }
  const countFor = (v: ViewId): number =>
    v === 'who-can'
      ? whoCanList.length
      : v === 'recent'
        ? eventList.length
        : v === 'findings'
          ? findingList.length
          : v === 'unused'
            ? unusedList.length
            : identityEvents.length

  const detailLines = useMemo(() => {
    if (!detail) return []
    const raw =
      detail.type === 'who-can'
        ? whoCanDetailLines(detail.row, whoCanRows ?? [])
        : detail.type === 'unused'
          ? unusedDetailLines(detail.row)
          : detail.type === 'event'
          ? eventDetailLines(detail.event)
          : findingDetailLines(detail.finding, eventsByAuditId, ruleInfo?.(detail.finding.ruleId))
    return wrapLines(raw, width)
  }, [detail, whoCanRows, eventsByAuditId, ruleInfo, width])

  const quit = useCallback(() => {
    onQuit?.()
    exit()
  }, [onQuit, exit])

  const openIdentity = (next: IdentityRef) => {
    setIdentity(next)
    setPositions((p) => ({...p, identity: START}))
    setFilters((f) => ({...f, identity: ''}))
    setDetail(undefined)
    setHelp(false)
    setView('identity')
  }

  const switchView = (next: ViewId) => {
    setView(next)
    setDetail(undefined)
    setHelp(false)
  }

  const selectedIn = (v: ViewId): number => positions[v].selected

  // Ink's handler. A key acts at once when nothing waits; otherwise it queues behind the keys that
  // do, which go one per render (see the effect below), so that each sees the state they left.
  const onInput = (input: string, key: Key) => {
    if (key.ctrl && input === 'c') return quit()
    pendingKeys.current.push([input, key])
    if (pendingKeys.current.length === 1) actOnNextKey()
  }

  const actOnNextKey = () => {
    const next = pendingKeys.current.shift()
    if (next) onKey(...next)
    if (pendingKeys.current.length > 0) setKeyTick((t) => t + 1)
  }

  const onKey = (input: string, key: Key) => {
    // Keys typed fast or pasted arrive as one chunk ('jjj', 'j' + Enter): the first acts now and
    // the others go to the front of the queue. (A filter being typed takes its text whole: below.)
    if (editing === undefined && input.length > 1 && !key.ctrl && !key.meta && !input.includes('\u001b')) {
      const [first = '', ...rest] = [...input]
      // A new array, not unshift(...rest): a pasted megabyte would overflow the call's arguments.
      pendingKeys.current = rest.map((c): [string, Key] => [c, keyOf(c)]).concat(pendingKeys.current)
      return onKey(first, keyOf(first))
    }

    if (editing !== undefined) {
      if (key.escape) {
        setEditing(undefined)
        setFilters((f) => ({...f, [view]: ''}))
        setPositions((p) => ({...p, [view]: START}))
      } else if (key.return) {
        setFilters((f) => ({...f, [view]: editing}))
        setPositions((p) => ({...p, [view]: START}))
        setEditing(undefined)
      } else if (key.backspace || key.delete) {
        setEditing(editing.slice(0, -1))
      } else if (input && !key.ctrl && !key.meta) {
        // Typed fast or pasted, text and Enter arrive in one chunk: the line break applies it.
        const lineBreak = input.search(/[\r\n]/)
        if (lineBreak < 0) setEditing(editing + input)
        else {
          setFilters((f) => ({...f, [view]: editing + input.slice(0, lineBreak)}))
          setPositions((p) => ({...p, [view]: START}))
          setEditing(undefined)
          // What follows the line break is keys again, acted on once the filter is applied.
          const after = input.slice(lineBreak + 1)
          if (after) pendingKeys.current.unshift([after, keyOf(after)])
        }
      }
      return
    }

    if (input === 'q') return quit()
    if (input === '?') return setHelp((h) => !h)
    if (key.escape) {
      if (help) return setHelp(false)
      if (detail) return setDetail(undefined)
      if (filters[view] !== '') {
        setFilters((f) => ({...f, [view]: ''}))
        setPositions((p) => ({...p, [view]: START}))
      }
      return
    }
    if (key.tab) {
      const i = views.findIndex((v) => v.id === view)
      const next = views[(i + (key.shift ? views.length - 1 : 1)) % views.length]
      if (next) switchView(next.id)
      return
    }
    const digit = ['1', '2', '3', '4', '5'].indexOf(input)
    if (digit >= 0) {
      const next = views[digit]
      if (next) switchView(next.id)
      return
    }
    if (help) return

    const visible = detail ? body : visibleFor(view)
    const step = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -Math.max(1, visible - 1) : key.pageDown ? Math.max(1, visible - 1) : key.home || input === 'g' ? -Infinity : key.end || input === 'G' ? Infinity : 0
    if (step !== 0) {
      if (detail) {
        const max = Math.max(0, detailLines.length - body)
        setDetailOffset((o) => (step === Infinity ? max : step === -Infinity ? 0 : Math.max(0, Math.min(max, o + step))))
      } else {
        const count = countFor(view)
        setPositions((p) => ({...p, [view]: move(p[view], step, count, visible)}))
      }
      return
    }

    if (input === '/' && !detail) return setEditing(filters[view])
    if (input === 's' && !detail) {
      setSorts((s) => ({...s, [view]: (s[view] + 1) % SORTS[view].length}))
      setPositions((p) => ({...p, [view]: START}))
      return
    }

    const current = currentItem()
    if (key.return && !detail && current) {
      setDetailOffset(0)
      setDetail(current)
      return
    }
    if (input === 'i') {
      const target = detail ?? current
      if (!target) return
      if (target.type === 'who-can' || target.type === 'unused') openIdentity({kind: target.row.kind, name: target.row.name, namespace: target.row.namespace})
      else if (target.type === 'event') openIdentity(identityOfUsername(target.event.user.username))
      else openIdentity(identityOfUsername(target.finding.who))
    }
  }

  function currentItem(): Detail | undefined {
    const pick = <T,>(list: readonly T[], v: ViewId): T | undefined => list[Math.min(selectedIn(v), list.length - 1)]
    if (view === 'who-can') {
      const row = pick(whoCanList, 'who-can')
      return row && {type: 'who-can', row}
    }
    if (view === 'unused') {
      const row = pick(unusedList, 'unused')
      return row && {type: 'unused', row}
    }
    if (view === 'findings') {
      const finding = pick(findingList, 'findings')
      return finding && {type: 'finding', finding}
    }
    const event = view === 'recent' ? pick(eventList, 'recent') : pick(identityEvents, 'identity')
    return event && {type: 'event', event}
  }

  // Ink re-subscribes a new handler only in a passive effect, which React may run tens of
  // milliseconds after the render: keys typed quickly would reach the previous render's handler
  // and act on stale state. A ref updated during render always holds the current one.
  const handler = useRef({onInput, actOnNextKey})
  handler.current = {onInput, actOnNextKey}
  const stableHandler = useCallback((input: string, key: Key) => handler.current.onInput(input, key), [])
  useInput(stableHandler, {isActive: inputActive})
  // One queued key per commit, handled with that commit's state; actOnNextKey asks for the next render.
  useEffect(() => {
    if (pendingKeys.current.length > 0) handler.current.actOnNextKey()
  })

  const summary = useMemo(() => (summaryLines > 0 ? summarise(eventList, summaryLines) : undefined), [eventList, summaryLines])

  // ---- render ----
  const title = `kubectl sensitive-access${data.context ? ` · ${clean(data.context)}` : ''}${data.sourceSummary ? ` · ${clean(data.sourceSummary)}` : ''}`
  const tabs = views.map((v, i) => (v.id === view ? `[${i + 1} ${v.label}]` : ` ${i + 1} ${v.label} `)).join(' ')
  const count = countFor(view)
  const sortName = SORTS[view][sorts[view]] ?? ''
  const status =
    editing !== undefined
      ? `Filter: ${clean(editing)}_   (Enter applies, Esc clears)`
      : `${detail ? 'Details' : `${count === 0 ? 0 : Math.min(selectedIn(view), count - 1) + 1}/${count}`}   sort: ${sortName}${filters[view] ? `   filter: ${clean(filters[view])}` : ''}${subscribe ? '   live' : ''}`
  const hints = detail
    ? 'j/k scroll  Esc back  i identity  ? help  q quit'
    : 'j/k move  Enter open  / filter  s sort  i identity  Tab view  ? help  q quit'

  let content
  if (help) content = <TextPane lines={wrapLines(HELP_LINES, width)} offset={0} height={body} width={width} />
  else if (detail) content = <TextPane lines={detailLines} offset={detailOffset} height={body} width={width} />
  else if (view === 'who-can') content = renderWhoCan()
  else if (view === 'recent') content = renderRecent()
  else if (view === 'findings') content = renderFindings()
  else if (view === 'unused') content = renderUnused()
  else content = renderIdentity()

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Line text={title} width={width} bold />
      <Line text={tabs} width={width} colour={colour ? 'cyan' : undefined} />
      <Box flexDirection="column" height={body}>
        {content}
      </Box>
      <Line text={status} width={width} inverse={editing !== undefined} />
      <Line text={hints} width={width} colour={colour ? 'gray' : undefined} />
    </Box>
  )

  function emptyLine(text: string) {
    return <Line text={text} width={width} />
  }

  function renderWhoCan() {
    if (!data.whoCan) return emptyLine('No who-can data: run against a cluster or with --manifests.')
    const visible = visibleFor('who-can')
    const {rows, top, selected} = visibleSlice(whoCanList, positions['who-can'], visible)
    return (
      <>
        <Line text={`Who can: ${clean(data.whoCan.question)}`} width={width} />
        {warnings.length > 0 ? <Line text={`Warning: ${clean(warnings.join('; '))}`} width={width} colour={colour ? 'yellow' : undefined} /> : null}
        <WhoCanHeader width={width} />
        {rows.length === 0 ? emptyLine(filters['who-can'] ? 'No subject matches the filter.' : 'No subject can do this.') : null}
        {rows.map((row, i) => (
          <WhoCanRowLine key={row.key} row={row} selected={top + i === selected} width={width} colour={colour} />
        ))}
      </>
    )
  }

  function renderRecent() {
    const visible = visibleFor('recent')
    const {rows, top, selected} = visibleSlice(eventList, positions.recent, visible)
    return (
      <>
        {summary ? <SummaryPanels summary={summary} width={width} lines={summaryLines} /> : null}
        <EventHeader width={width} />
        {rows.length === 0 ? emptyLine(filters.recent ? 'No event matches the filter.' : 'No access events.') : null}
        {rows.map((event, i) => (
          <EventRowLine key={top + i} event={event} selected={top + i === selected} width={width} colour={colour} />
        ))}
      </>
    )
  }

  function renderFindings() {
    const visible = visibleFor('findings')
    const {rows, top, selected} = visibleSlice(findingList, positions.findings, visible)
    return (
      <>
        <FindingHeader width={width} />
        {rows.length === 0 ? emptyLine(filters.findings ? 'No finding matches the filter.' : 'No findings.') : null}
        {rows.map((finding, i) => (
          <FindingRowLine key={top + i} finding={finding} selected={top + i === selected} width={width} colour={colour} />
        ))}
      </>
    )
  }

  function renderUnused() {
    if (!data.unused) return emptyLine('No unused data: run `unused` to see it.')
    const visible = visibleFor('unused')
    const {rows, top, selected} = visibleSlice(unusedList, positions.unused, visible)
    const never = data.unused.rows.filter((r) => r.class === 'can-never-did').length
    const heading = `${never} of ${data.unused.rows.length} rows never used${data.unused.window ? ` · window ${clean(data.unused.window)}` : ''}`
    return (
      <>
        <Line text={heading} width={width} />
        <UnusedHeader width={width} />
        {rows.length === 0 ? emptyLine(filters.unused ? 'No row matches the filter.' : 'Nobody can read secrets or configmaps.') : null}
        {rows.map((row, i) => (
          <UnusedRowLine key={row.key} row={row} selected={top + i === selected} width={width} colour={colour} />
        ))}
      </>
    )
  }

  function renderIdentity() {
    if (!identity) return emptyLine('Select a row in any view and press i to open its identity.')
    const visible = visibleFor('identity')
    const {rows, top, selected} = visibleSlice(identityEvents, positions.identity, visible)
    const paneWidth = sideBySide ? Math.floor(width / 2) - 1 : width
    const label = clean(identityLabel(identity))
    const canPane = (
      <Box flexDirection="column" width={paneWidth}>
        <Line text={`CAN DO on secrets/configmaps (${identityRows.length})`} width={paneWidth} bold />
        <TextPane lines={canLines} offset={0} height={canPaneHeight} width={paneWidth} />
      </Box>
    )
    const didPane = (
      <Box flexDirection="column" width={paneWidth}>
        <Line text={`DID (${identityEvents.length} events)`} width={paneWidth} bold />
        <EventHeader width={paneWidth} />
        {rows.map((event, i) => (
          <EventRowLine key={top + i} event={event} selected={top + i === selected} width={paneWidth} colour={colour} />
        ))}
      </Box>
    )
    return (
      <>
        <Line text={`Identity: ${label}`} width={width} bold />
        {sideBySide ? (
          <Box flexDirection="row">
            {canPane}
            <Text> </Text>
            {didPane}
          </Box>
        ) : (
          <>
            {canPane}
            {didPane}
          </>
        )}
      </>
    )
  }
}

/** The Key Ink would report for one character typed alone. */
function keyOf(char: string): Key {
  return {
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageDown: false,
    pageUp: false,
    home: false,
    end: false,
    return: char === '\r' || char === '\n',
    escape: false,
    ctrl: false,
    shift: char !== char.toLowerCase(),
    tab: char === '\t',
    backspace: char === '\b',
    delete: char === '\u007f',
    meta: false,
    super: false,
    hyper: false,
    capsLock: false,
    numLock: false,
  }
}
