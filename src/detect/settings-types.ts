import type {RuleSettingValue} from './rule.js'

export interface Allowlist {
  /** Usernames; `*` matches any run of characters. */
  users: string[]
  groups: string[]
  /** Case-insensitive prefixes of the User-Agent header. */
  userAgents: string[]
  /** IPv4 or IPv6 networks in CIDR form. */
  sourceCIDRs: string[]
  namespaces: string[]
}

export interface RuleSettings {
  enabled: boolean
  [name: string]: RuleSettingValue
}

export interface DetectSettings {
  /** Drop events of `systemIdentities` before rules that would only report routine control-plane work. */
  excludeSystemIdentities: boolean
  systemIdentities: {users: string[]; groups: string[]}
  /** Events matching any allowlist entry reach no rule. */
  allowlist: Allowlist
  rules: Record<string, RuleSettings>
}
