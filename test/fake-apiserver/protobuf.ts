// kubectl sends (Self)SubjectAccessReviews as Kubernetes protobuf (`application/vnd.kubernetes.protobuf`):
// the 4-byte magic `k8s\0`, then a runtime.Unknown whose field 2 holds the object. This decodes
// just the review fields into the JSON shape; answers go back as JSON, which kubectl also accepts.

interface Fields {
  [field: number]: (Buffer | number)[]
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00])

function readVarint(buffer: Buffer, offset: number): [number, number] {
  let result = 0
  let shift = 0
  for (;;) {
    if (offset >= buffer.length) throw new Error('truncated varint')
    const byte = buffer[offset++]!
    result += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) return [result, offset]
    shift += 7
  }
}

function decodeFields(buffer: Buffer): Fields {
  const fields: Fields = {}
  let offset = 0
  while (offset < buffer.length) {
    const [tag, afterTag] = readVarint(buffer, offset)
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    offset = afterTag
    let value: Buffer | number
    if (wire === 0) [value, offset] = readVarint(buffer, offset)
    else if (wire === 2) {
      const [length, start] = readVarint(buffer, offset)
      value = buffer.subarray(start, start + length)
      offset = start + length
    } else if (wire === 1) {
      value = buffer.subarray(offset, offset + 8)
      offset += 8
    } else if (wire === 5) {
      value = buffer.subarray(offset, offset + 4)
      offset += 4
    } else throw new Error(`unsupported protobuf wire type ${wire}`)
    ;(fields[field] ??= []).push(value)
  }
  return fields
}

function text(fields: Fields, field: number): string | undefined {
  const value = fields[field]?.[0]
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined
}

function message(fields: Fields, field: number): Fields | undefined {
  const value = fields[field]?.[0]
  return Buffer.isBuffer(value) ? decodeFields(value) : undefined
}

/** A protobuf-encoded (Self|Local)SubjectAccessReview as its JSON form, or undefined when not protobuf. */
export function decodeReview(body: Buffer): {apiVersion?: string; kind?: string; spec: Record<string, unknown>} | undefined {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) return undefined
  const unknown = decodeFields(body.subarray(4))
  const typeMeta = message(unknown, 1)
  const raw = message(unknown, 2) ?? {}
  const specFields = message(raw, 2) ?? {}
  const spec: Record<string, unknown> = {}
  const resource = message(specFields, 1)
  if (resource) {
    const names = ['', 'namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']
    const attributes: Record<string, string> = {}
    names.forEach((name, field) => {
      const value = name ? text(resource, field) : undefined
      if (value !== undefined && value !== '') attributes[name] = value
    })
    spec.resourceAttributes = attributes
  }
  const nonResource = message(specFields, 2)
  if (nonResource) spec.nonResourceAttributes = {path: text(nonResource, 1) ?? '', verb: text(nonResource, 2) ?? ''}
  // SubjectAccessReviewSpec only: user 3, groups 4, uid 6.
  const user = text(specFields, 3)
  if (user) spec.user = user
  const groups = (specFields[4] ?? []).filter(Buffer.isBuffer).map((value) => value.toString('utf8'))
  if (groups.length > 0) spec.groups = groups
  const uid = text(specFields, 6)
  if (uid) spec.uid = uid
  const result: {apiVersion?: string; kind?: string; spec: Record<string, unknown>} = {spec}
  if (typeMeta) {
    const apiVersion = text(typeMeta, 1)
    const kind = text(typeMeta, 2)
    if (apiVersion) result.apiVersion = apiVersion
    if (kind) result.kind = kind
  }
  return result
}
