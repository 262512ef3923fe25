// ClusterRole aggregation as pkg/controller/clusterroleaggregation does it. For one aggregated
// role the controller (syncClusterRole) builds the rules from scratch: for each selector, in
// order, it lists the ClusterRoles the selector matches, sorts them by name, skips the role itself,
// and appends every rule not already present (semantic deep-equal, so nil and [] are the same
// list but order inside a list matters). The role's own `rules` are replaced, never kept.
//
// One sync is not transitive: if `admin` aggregates `edit` and `edit` aggregates `view`, syncing
// `admin` before `edit` copies `edit`'s old rules. The controller then re-queues every aggregated
// role whenever any ClusterRole changes, so in a live cluster it keeps syncing until nothing
// changes. We compute that end state directly: sync all aggregated roles (in name order) against
// the current state, and repeat until a full pass changes nothing. For acyclic aggregation graphs
// that fixpoint is unique; for cycles it is the state the controller also stops in when it syncs
// in name order. A pass limit guards against pathological input and reports it.
import {sanitizeForTerminal} from '../lib/sanitize.js'
import type {LabelSelector, PolicyRule, Role} from './types.js'

export interface AggregationResult {
  clusterRoles: Role[]
  warnings: string[]
  /** Full passes until nothing changed. */
  passes: number
}

/** Kubernetes label selector semantics (metav1.LabelSelectorAsSelector + labels.Selector.Matches). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(l, k) || l[k] !== v) return false
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key)
    const values = req.values ?? []
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key]!)) return false
        break
      case 'NotIn':
        if (has && values.includes(l[req.key]!)) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

/** Why a selector would be rejected by LabelSelectorAsSelector, or undefined when it is valid. */
export function selectorError(selector: LabelSelector): string | undefined {
  for (const req of selector.matchExpressions ?? []) {
    const n = req.values?.length ?? 0
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (n === 0) return `operator ${req.operator} on key "${req.key}" needs at least one value`
        break
      case 'Exists':
      case 'DoesNotExist':
        if (n > 0) return `operator ${req.operator} on key "${req.key}" takes no values`
        break
      default:
        return `"${String(req.operator)}" is not a valid label selector operator`
    }
  }
  return undefined
}

/** A key equal for semantically deep-equal rules (nil and empty lists are the same). */
export function ruleKey(rule: PolicyRule): string {
  return JSON.stringify([
    rule.verbs ?? [],
    rule.apiGroups ?? [],
    rule.resources ?? [],
    rule.resourceNames ?? [],
    rule.nonResourceURLs ?? [],
  ])
}

function sameRules(a: PolicyRule[], b: PolicyRule[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (ruleKey(a[i]!) !== ruleKey(b[i]!)) return false
  return true
}

const MAX_PASSES = 100

/**
 * Returns the ClusterRoles as the aggregation controller leaves them. Input objects are not
 * modified; aggregated roles are returned as copies with their computed rules.
 */
export function aggregateClusterRoles(input: readonly Role[]): AggregationResult {
  const warnings: string[] = []
  const roles = input.map((r) => ({...r, rules: r.rules ?? []}))
  const byNameSorted = [...roles].sort((a, b) => cmp(a.metadata.name, b.metadata.name))
  const aggregated = byNameSorted.filter((r) => r.aggregationRule != null)
  const invalid = new Set<string>()
  for (const r of aggregated) {
    for (const sel of r.aggregationRule?.clusterRoleSelectors ?? []) {
      const err = selectorError(sel)
      if (err) {
        invalid.add(r.metadata.name)
        warnings.push(
          sanitizeForTerminal(`ClusterRole "${r.metadata.name}": invalid aggregation selector (${err}); its rules are left as they are`),
        )
      }
    }
  }
  let passes = 0
  for (;;) {
    passes++
    let changed = false
    for (const target of aggregated) {
      if (invalid.has(target.metadata.name)) continue
      const next: PolicyRule[] = []
      const seen = new Set<string>()
      for (const sel of target.aggregationRule?.clusterRoleSelectors ?? []) {
        for (const source of byNameSorted) {
          if (source.metadata.name === target.metadata.name) continue
          if (!selectorMatches(sel, source.metadata.labels)) continue
          for (const rule of source.rules) {
            const k = ruleKey(rule)
            if (seen.has(k)) continue
            seen.add(k)
            next.push(rule)
          }
        }
      }
      if (!sameRules(next, target.rules)) {
        target.rules = next
        changed = true
      }
    }
    if (!changed) break
    if (passes >= MAX_PASSES) {
      warnings.push(`ClusterRole aggregation did not settle after ${MAX_PASSES} passes (cyclic aggregation rules?)`)
      break
    }
  }
  return {clusterRoles: roles, warnings, passes}
}

// Go's sort by name compares bytes; localeCompare would not.
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
