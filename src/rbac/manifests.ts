// Manifests (YAML or JSON, as written by hand, by `kubectl get -o yaml|json`, or by the API as
// RoleList/ClusterRoleBindingList...) into an RbacSnapshot. Pure: the caller reads the files.
// Bad input never throws: each malformed document or object is reported with its file and
// document number, and skipped; kinds we do not need are counted, not reported one by one.
// Hostile input is bounded: documents nested deeper than MAX_YAML_DEPTH are skipped before the
// (recursive) YAML parser sees them, anchors expand at most MAX_YAML_ALIAS_COUNT times, and Lists
// nest at most MAX_LIST_DEPTH deep (JSON.parse takes any depth; our walk must not).
import {parseAllDocuments} from 'yaml'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {MAX_YAML_ALIAS_COUNT, MAX_YAML_DEPTH, splitYamlDocuments, yamlNestingExceeds} from '../lib/yaml-bounds.js'
import type {Binding, LabelSelector, ObjectMeta, PolicyRule, RbacSnapshot, Role, RoleRef, ServiceAccountRef, Subject} from './types.js'

export interface ManifestSource {
  /** Shown in problems; a path or '-'. */
  file: string
  text: string
}

export interface ManifestProblem {
  file: string
  /** 1-based document number within the file (a JSON file is one document). */
  document: number
  /** Position inside a List, when the object came from one (0-based, as in `items[3]`). */
  item?: number
  message: string
  /**
   * Set when nothing was dropped (an assumption was made, such as the `default` namespace).
   * Every other problem skipped a document, an object or part of one: the answer may lack grants.
   */
  note?: true
}

export interface ParsedManifests {
  /** Roles and bindings as written: ClusterRole aggregation is NOT applied here. */
  snapshot: RbacSnapshot & {namespaces: string[]; serviceAccounts: ServiceAccountRef[]}
  documents: number
  /** Objects kept, by kind. */
  kept: Record<string, number>
  /** Objects of kinds the engine does not read, by kind. */
  ignored: Record<string, number>
  /** RBAC objects (Role, ClusterRole and bindings) read from each file, before duplicates are merged. */
  rbacByFile: Record<string, number>
  problems: ManifestProblem[]
}

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'])

/** Lists inside Lists: `kubectl get -o json` makes one level; 32 is far past any real file. */
const MAX_LIST_DEPTH = 32

export function parseManifests(sources: readonly ManifestSource[]): ParsedManifests {
  const out: ParsedManifests = {
    snapshot: {roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [], namespaces: [], serviceAccounts: []},
    documents: 0,
    kept: {},
    ignored: {},
    rbacByFile: {},
    problems: [],
  }
  // Later definitions of the same object replace earlier ones, as `kubectl apply` would.
  const objects = new Map<string, {kind: string; value: Role | Binding | ServiceAccountRef | string}>()
  for (const src of sources) {
    for (const doc of splitDocuments(src, out)) {
      out.documents++
      collect(doc.value, src.file, doc.index, undefined, undefined, objects, out)
    }
  }
  const namespaces = new Set<string>()
  const sas = new Map<string, ServiceAccountRef>()
  for (const {kind, value} of objects.values()) {
    out.kept[kind] = (out.kept[kind] ?? 0) + 1
    switch (kind) {
      case 'Role':
        out.snapshot.roles.push(value as Role)
        break
      case 'ClusterRole':
        out.snapshot.clusterRoles.push(value as Role)
        break
      case 'RoleBinding':
        out.snapshot.roleBindings.push(value as Binding)
        break
      case 'ClusterRoleBinding':
        out.snapshot.clusterRoleBindings.push(value as Binding)
        break
      case 'Namespace':
        namespaces.add(value as string)
        break
      case 'ServiceAccount': {
        const sa = value as ServiceAccountRef
        sas.set(`${sa.namespace}/${sa.name}`, sa)
        break
      }
    }
  }
  out.snapshot.namespaces = [...namespaces].sort(byteCompare)
  out.snapshot.serviceAccounts = [...sas.values()].sort((a, b) => byteCompare(a.namespace, b.namespace) || byteCompare(a.name, b.name))
  return out
}

function splitDocuments(src: ManifestSource, out: ParsedManifests): {index: number; value: unknown}[] {
  const trimmed = src.text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    // JSON.parse takes any depth, but what is built from it is walked: a file nested deeper than
    // any real object (100,000 `[`) is skipped unread, like a YAML document.
    if (yamlNestingExceeds(src.text, MAX_YAML_DEPTH)) {
      out.problems.push({file: src.file, document: 1, message: `nested deeper than ${MAX_YAML_DEPTH} levels; file skipped unread`})
      return []
    }
    // JSON first: much faster than the YAML parser on large `-o json` dumps.
    try {
      return [{index: 1, value: JSON.parse(src.text) as unknown}]
    } catch {
      // Not plain JSON (JSON lines, or YAML flow style): let the YAML parser decide below.
    }
    // JSON lines: every line an object. JSON documents between `---` lines are a YAML stream (the
    // YAML parser below reads them), not lines of which every `---` would be a bad one.
    const lines = src.text.split('\n')
    if (trimmed.startsWith('{') && src.text.includes('\n{') && lines.every((line) => line.trim() === '' || line.trimStart().startsWith('{'))) {
      const docs: {index: number; value: unknown}[] = []
      lines.forEach((line, i) => {
        if (line.trim() === '') return
        try {
          docs.push({index: i + 1, value: JSON.parse(line) as unknown})
        } catch (e) {
          out.problems.push({file: src.file, document: i + 1, message: `invalid JSON: ${(e as Error).message}`})
        }
      })
      return docs
    }
  }
  const docs: {index: number; value: unknown}[] = []
  let i = 0
  // Each `---` part on its own, so that one document too deep to parse safely is skipped alone.
  for (const part of splitYamlDocuments(src.text)) {
    if (yamlNestingExceeds(part.text, MAX_YAML_DEPTH)) {
      i++
      out.problems.push({file: src.file, document: i, message: `nested deeper than ${MAX_YAML_DEPTH} levels (line ${part.firstLine}); document skipped unread`})
      continue
    }
    let parsed
    try {
      parsed = parseAllDocuments(part.text, {uniqueKeys: false})
    } catch (e) {
      i++
      out.problems.push({file: src.file, document: i, message: `invalid YAML: ${firstLine((e as Error).message)}`})
      continue
    }
    for (const doc of Array.isArray(parsed) ? parsed : [parsed]) {
      // A part holding only comments (or the empty text before a leading `---`) is no document.
      if (doc.contents === null && doc.errors.length === 0 && !/^---/.test(part.text)) continue
      i++
      if (doc.errors.length > 0) {
        out.problems.push({file: src.file, document: i, message: `invalid YAML: ${firstLine(doc.errors[0]!.message)}`})
        continue
      }
      try {
        docs.push({index: i, value: doc.toJS({maxAliasCount: MAX_YAML_ALIAS_COUNT}) as unknown})
      } catch (e) {
        // The yaml package throws ReferenceError for alias bombs and unresolved aliases: say what it is.
        const message = firstLine((e as Error).message)
        out.problems.push({file: src.file, document: i, message: /alias/i.test(message) ? `YAML aliases rejected (${message})` : `unreadable document: ${message}`})
      }
    }
  }
  return docs
}

function collect(
  value: unknown,
  file: string,
  document: number,
  item: number | undefined,
  impliedKind: string | undefined,
  objects: Map<string, {kind: string; value: Role | Binding | ServiceAccountRef | string}>,
  out: ParsedManifests,
  depth = 0,
): void {
  // Problem messages quote names from the input: terminal-safe by construction.
  const problem = (message: string, note?: true) =>
    out.problems.push({file, document, ...(item !== undefined ? {item} : {}), message: sanitizeForTerminal(message), ...(note ? {note} : {})})
  if (value === null || value === undefined) return // empty document (`---` at the end)
  if (Array.isArray(value) || (isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items))) {
    // Each level of List is one call deeper: a hostile file nests them by the hundred thousand.
    if (depth >= MAX_LIST_DEPTH) {
      problem(`lists nested deeper than ${MAX_LIST_DEPTH} levels; skipped`)
      return
    }
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => collect(v, file, document, i, impliedKind, objects, out, depth + 1))
    return
  }
  if (typeof value !== 'object') {
    problem('not a Kubernetes object (expected a mapping with kind and metadata)')
    return
  }
  const obj = value as Record<string, unknown>
  const kind = typeof obj.kind === 'string' && obj.kind.length > 0 ? obj.kind : impliedKind
  if (!kind) {
    // A Helm values file or a config sitting among manifests is not an object at all; a mapping
    // that looks like one (metadata, rules, subjects...) but lacks its kind may be a lost grant.
    if (!['apiVersion', 'metadata', 'rules', 'subjects', 'roleRef', 'aggregationRule', 'items'].some((field) => field in obj)) {
      out.ignored['(no kind)'] = (out.ignored['(no kind)'] ?? 0) + 1
      return
    }
    problem('object has no kind')
    return
  }
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(obj.items))) {
    if (!Array.isArray(obj.items)) {
      problem(`${kind} has no items list`)
      return
    }
    // The API's RoleList/ClusterRoleList... omit kind on their items.
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length)
    obj.items.forEach((v, i) => collect(v, file, document, i, itemKind, objects, out, depth + 1))
    return
  }
  if (!RBAC_KINDS.has(kind) && kind !== 'Namespace' && kind !== 'ServiceAccount') {
    out.ignored[kind] = (out.ignored[kind] ?? 0) + 1
    return
  }
  const meta = obj.metadata
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name.length === 0) {
    problem(`${kind} has no metadata.name`)
    return
  }
  const name = meta.name
  const namespaced = kind === 'Role' || kind === 'RoleBinding' || kind === 'ServiceAccount'
  let namespace: string | undefined
  if (namespaced) {
    namespace = typeof meta.namespace === 'string' && meta.namespace.length > 0 ? meta.namespace : 'default'
    if (namespace === 'default' && meta.namespace === undefined) {
      problem(`${kind} "${name}" has no metadata.namespace; assumed "default" (as kubectl apply without -n would)`, true)
    }
  }
  const label = objectLabel(kind, namespace, name)
  const metadata = {
    name,
    ...(namespace ? {namespace} : {}),
    ...(isStringMap(meta.labels) ? {labels: meta.labels} : {}),
  }
  const key = `${kind}/${namespace ?? ''}/${name}`
  if (kind === 'Namespace') {
    objects.set(key, {kind, value: name})
    return
  }
  if (kind === 'ServiceAccount') {
    objects.set(key, {kind, value: {namespace: namespace!, name}})
    return
  }
  if (meta.labels !== undefined && meta.labels !== null && !isStringMap(meta.labels)) {
    // Labels select ClusterRoles for aggregation: unreadable ones may drop rules from an aggregate.
    problem(`${label}: metadata.labels must map strings to strings; labels ignored`)
  }
  const rbacObject = kind === 'Role' || kind === 'ClusterRole' ? roleFromObject(kind, obj, metadata, label, problem) : bindingFromObject(kind as Binding['kind'], obj, metadata, label, problem)
  if (rbacObject) {
    objects.set(key, {kind, value: rbacObject})
    out.rbacByFile[file] = (out.rbacByFile[file] ?? 0) + 1
  }
}

/** `ClusterRole "name"`, `RoleBinding "ns/name"`: how problems name an object. */
export function objectLabel(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} "${namespace ? namespace + '/' : ''}${name}"`
}

/**
 * A Role or ClusterRole from a raw object (a manifest, or an item of the API server's list),
 * checked field by field: undefined when the object cannot be used at all; a rule that cannot be
 * read is dropped alone. Every drop is reported through `problem`.
 */
export function roleFromObject(kind: Role['kind'], obj: Record<string, unknown>, metadata: ObjectMeta, label: string, problem: (message: string) => void): Role | undefined {
  const rules = parseRules(obj.rules, label, problem)
  if (!rules) return undefined
  const role: Role = {kind, metadata, rules}
  if (kind === 'ClusterRole' && obj.aggregationRule !== undefined && obj.aggregationRule !== null) {
    const agg = obj.aggregationRule
    if (!isRecord(agg) || (agg.clusterRoleSelectors !== undefined && agg.clusterRoleSelectors !== null && !Array.isArray(agg.clusterRoleSelectors))) {
      problem(`${label}: aggregationRule.clusterRoleSelectors must be a list`)
      return undefined
    }
    const selectors: LabelSelector[] = []
    for (const [i, sel] of ((agg.clusterRoleSelectors as unknown[] | undefined | null) ?? []).entries()) {
      if (!isRecord(sel) || (sel.matchLabels !== undefined && !isStringMap(sel.matchLabels)) ||
        (sel.matchExpressions !== undefined && !Array.isArray(sel.matchExpressions))) {
        problem(`${label}: aggregationRule.clusterRoleSelectors[${i}] is not a label selector; role skipped`)
        return undefined
      }
      selectors.push(sel as LabelSelector)
    }
    role.aggregationRule = {clusterRoleSelectors: selectors}
  }
  return role
}

/** A RoleBinding or ClusterRoleBinding from a raw object, checked like roleFromObject. */
export function bindingFromObject(kind: Binding['kind'], obj: Record<string, unknown>, metadata: ObjectMeta, label: string, problem: (message: string) => void): Binding | undefined {
  const ref = obj.roleRef
  if (!isRecord(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string' || ref.name.length === 0) {
    problem(`${label}: roleRef needs kind and name`)
    return undefined
  }
  const roleRef: RoleRef = {apiGroup: typeof ref.apiGroup === 'string' ? ref.apiGroup : 'rbac.authorization.k8s.io', kind: ref.kind, name: ref.name}
  const subjects: Subject[] = []
  if (obj.subjects !== undefined && obj.subjects !== null) {
    if (!Array.isArray(obj.subjects)) {
      problem(`${label}: subjects must be a list`)
      return undefined
    }
    for (const [i, s] of obj.subjects.entries()) {
      if (!isRecord(s) || typeof s.kind !== 'string' || typeof s.name !== 'string') {
        problem(`${label}: subjects[${i}] needs kind and name; skipped`)
        continue
      }
      subjects.push({
        kind: s.kind,
        name: s.name,
        ...(typeof s.namespace === 'string' && s.namespace.length > 0 ? {namespace: s.namespace} : {}),
        ...(typeof s.apiGroup === 'string' ? {apiGroup: s.apiGroup} : {}),
      })
    }
  }
  return {kind, metadata, subjects, roleRef}
}

function parseRules(raw: unknown, label: string, problem: (m: string) => void): PolicyRule[] | undefined {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) {
    problem(`${label}: rules must be a list`)
    return undefined
  }
  const rules: PolicyRule[] = []
  for (const [i, r] of raw.entries()) {
    if (!isRecord(r)) {
      problem(`${label}: rules[${i}] is not a mapping; skipped`)
      continue
    }
    const fields = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const
    const bad = fields.find((f) => r[f] !== undefined && r[f] !== null && !isStringList(r[f]))
    if (bad) {
      problem(`${label}: rules[${i}].${bad} must be a list of strings; rule skipped`)
      continue
    }
    const rule: PolicyRule = {verbs: (r.verbs as string[] | undefined) ?? []}
    for (const f of fields) {
      if (f !== 'verbs' && isStringList(r[f])) rule[f] = r[f] as string[]
    }
    rules.push(rule)
  }
  return rules
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

export function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string')
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
