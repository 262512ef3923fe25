// Windowing for long lists: only the visible slice is ever rendered, so 100,000 events cost the
// same per frame as 20. The selection and the first visible row are plain numbers per view.

export interface ListPosition {
  selected: number
  top: number
}

export const START: ListPosition = {selected: 0, top: 0}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n))
}

/** Move the selection by `delta` rows (Infinity for the end) and keep it inside the window. */
export function move(pos: ListPosition, delta: number, count: number, visible: number): ListPosition {
  if (count === 0) return START
  const selected = clamp(delta === Infinity ? count - 1 : delta === -Infinity ? 0 : pos.selected + delta, 0, count - 1)
  return {selected, top: windowTop({selected, top: pos.top}, count, visible)}
}

/**
 * The first visible row for a position. Applied at render time as well, so a resize or a shrinking
 * filtered list never leaves the selection off-screen.
 */
export function windowTop(pos: ListPosition, count: number, visible: number): number {
  const v = Math.max(1, visible)
  let top = pos.top
  if (pos.selected < top) top = pos.selected
  if (pos.selected >= top + v) top = pos.selected - v + 1
  return clamp(top, 0, Math.max(0, count - v))
}

/** The slice to render plus the selection inside it. */
export function visibleSlice<T>(items: readonly T[], pos: ListPosition, visible: number): {rows: readonly T[]; top: number; selected: number} {
  const selected = items.length === 0 ? 0 : clamp(pos.selected, 0, items.length - 1)
  const top = windowTop({selected, top: pos.top}, items.length, visible)
  return {rows: items.slice(top, top + Math.max(0, visible)), top, selected}
}
