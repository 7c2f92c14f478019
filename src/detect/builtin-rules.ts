/**
 * The built-in detection rules, as YAML text compiled by rules.ts exactly
 * like a user's file (a .ts module rather than a .yaml file so that the
 * `tsc` build into dist/ ships it).
 *
 * Shape of a rules file:
 *
 *   settings:                       # optional; a user file overrides field by field
 *     missStatuses: [404]           # statuses that make a lookup a miss
 *     operations:                   # per operation, replacing missStatuses
 *       getAccountStatus: { missStatuses: [404, 204] }
 *     sequentialDelta: 16           # numeric ids this close to the previous one are "in order"
 *     baseline: { halfLife: 1h, warmup: 30m }
 *   rules:
 *     - name: enumeration           # a user file naming a built-in tunes it
 *       enabled: true
 *       on: [ip, principal]         # identity kinds, or `operation` (all clients together)
 *       perOperation: true          # count per (identity, operation)
 *       window: 10m
 *       when:                       # a mapping (all hold) or a list of mappings (any holds)
 *         distinctIdentifiers: { min: 30 }
 *         missRatio: { min: 0.5 }
 *       severity: high              # info | low | medium | high | critical
 *       decision:
 *         action: ban               # alert | delay | block | ban
 *         duration: [1h, 6h, 24h]   # per escalation level; for alerts, how long a firing is remembered
 *         delay: 2s                 # action delay only
 *         mode: enforce             # or dryRun: reported, never enforced
 *         resetAfter: 24h           # the level decays after this long without a decision
 *       attribute:                  # operation rules: which clients to act on
 *         window: 10m
 *         kinds: [ip, subnet, fingerprint]
 *         fallback: [apikey, principal]
 *         coverage: 0.5
 *         by: misses
 *         when: { misses: { min: 8 }, missRatio: { min: 0.6 } }
 *
 * Conditions: `min`, `max` (absolute); `sigma` (operation rules: standard
 * score against the learned per-minute baseline); `factor` (value ≥ factor ×
 * expected: the operation's baseline, or with `over: 24h` an identity's own
 * rate over the longer window).
 *
 * Thresholds are set so that a person using an app never meets them (the
 * false-positive scenario in test/fixtures/detect/benign) while the attacks
 * of the reference incidents do within minutes.
 */

export const BUILTIN_RULES_FILE = '<builtin-rules>';

export const BUILTIN_RULES_YAML = `
settings:
  missStatuses: [404]
  sequentialDelta: 16
  baseline:
    halfLife: 1h
    warmup: 30m

rules:
  # Trello 2024, Authy 2024: one client asks for many values and mostly
  # misses; Optus 2022: ids walked in order. distinctSubnets keeps a
  # credential that every user of an app holds (a public API key) out of it:
  # that is the distributed rule's job, which checks who drives it.
  - name: enumeration
    description: one client looks up many different values on one operation and mostly misses, or walks numeric ids in order
    on: [ip, principal]
    perOperation: true
    window: 10m
    when:
      - distinctIdentifiers: { min: 30 }
        misses: { min: 20 }
        missRatio: { min: 0.5 }
        distinctSubnets: { max: 16 }
      - distinctIdentifiers: { min: 50 }
        sequentialRatio: { min: 0.8 }
        distinctSubnets: { max: 16 }
    severity: high
    decision: { action: ban, duration: [1h, 6h, 24h], mode: enforce }

  # Authy 2024: 300 addresses, each slow, one program. Seen on the operation
  # (all clients together), then pinned on the addresses, subnets and
  # fingerprints whose own traffic there is mostly misses; keys are named
  # only when those explain less than half of it (a key may be in every
  # copy of the app).
  - name: distributed-enumeration
    description: an operation's misses or distinct identifiers far above its baseline, from many slow clients
    on: operation
    window: 5m
    when:
      - misses: { min: 30, sigma: 6 }
        missRatio: { sigma: 6, factor: 3 }
      - distinctIdentifiers: { min: 200, sigma: 8, factor: 4 }
        missRatio: { sigma: 4 }
    attribute:
      window: 10m
      kinds: [ip, subnet, fingerprint]
      fallback: [apikey, principal]
      coverage: 0.5
      by: misses
      when: { misses: { min: 8 }, missRatio: { min: 0.6 } }
    severity: critical
    decision: { action: ban, duration: [1h, 6h, 24h], mode: enforce }

  - name: credential-stuffing
    description: one address fails logins across many accounts
    on: [ip]
    window: 10m
    when:
      authFailures: { min: 20 }
      distinctAccounts: { min: 10 }
      authFailureRatio: { min: 0.5 }
    severity: high
    decision: { action: ban, duration: [1h, 6h, 24h], mode: enforce }

  # Login failures across many accounts from rotating proxies: the
  # operation sees them, each address does not. Accounts are required so
  # that a wave of expired tokens (401 without an account) is not stuffing.
  - name: distributed-credential-stuffing
    description: a login operation's failures and accounts tried far above its baseline, from many clients
    on: operation
    window: 5m
    when:
      authFailures: { min: 50, sigma: 6, factor: 4 }
      distinctAccounts: { min: 30, sigma: 6 }
    attribute:
      window: 10m
      kinds: [ip, subnet, fingerprint]
      fallback: []
      coverage: 0.5
      by: authFailures
      when: { authFailures: { min: 8 }, authFailureRatio: { min: 0.7 }, distinctAccounts: { min: 5 } }
    severity: critical
    decision: { action: ban, duration: [1h, 6h, 24h], mode: enforce }

  - name: brute-force
    description: one address fails many logins on one account (or very few)
    on: [ip]
    window: 10m
    when:
      authFailures: { min: 20 }
      logins: { min: 20 }
      distinctAccounts: { max: 3 }
    severity: high
    decision: { action: ban, duration: [30m, 2h, 24h], mode: enforce }

  # Dell 2024: partner accounts harvesting ~5,000 records a minute for three
  # weeks. Many distinct values that exist (hits), from one client; or fewer,
  # at a machine's regular pace. Delayed rather than banned: a legitimate
  # bulk integration looks the same, and the alert asks a person.
  - name: scraping
    description: one client reads many different existing records of one operation
    on: [ip, principal]
    perOperation: true
    window: 10m
    when:
      - distinctIdentifiers: { min: 2000 }
        hitRatio: { min: 0.5 }
        distinctSubnets: { max: 16 }
      - distinctIdentifiers: { min: 300 }
        hitRatio: { min: 0.5 }
        gapCv: { max: 0.35 }
        distinctSubnets: { max: 16 }
    severity: high
    decision: { action: delay, delay: 2s, duration: [1h, 6h, 24h], mode: enforce }

  - name: scanning
    description: a burst of requests to paths that do not exist, or of malformed requests (scanners, fuzzers)
    on: [ip]
    window: 1m
    when:
      - unknownPaths: { min: 30 }
      - rejected: { min: 20 }
    severity: medium
    decision: { action: ban, duration: [1h, 6h, 24h], mode: enforce }

  # A limit or a ban holds the attack, but it is going on, and a person
  # should know: credential stuffing refused by a login limit never reaches
  # the failures the stuffing rule counts. People refused a few times stop.
  - name: refused-persistently
    description: a client keeps sending requests that rate limits or bans refuse
    on: [ip, principal, apikey]
    window: 10m
    when:
      limited: { min: 100 }
    severity: medium
    decision: { action: alert, duration: 1h }

  - name: shadow-zombie-use
    description: a client keeps calling undocumented (shadow) or retired (zombie) endpoints
    on: [ip, principal, apikey]
    window: 1h
    when:
      shadowZombie: { min: 10 }
    severity: medium
    decision: { action: alert, duration: 24h }

  # The reference breach's shape: personal data answered without credentials.
  - name: unauthenticated-sensitive-data
    description: an operation returns sensitive values to requests without credentials
    on: operation
    window: 10m
    when:
      unauthSensitive: { min: 20 }
    attribute:
      kinds: [ip, subnet, fingerprint]
      by: unauthSensitive
      when: { unauthSensitive: { min: 5 } }
    severity: high
    decision: { action: alert, duration: 24h }

  - name: data-volume
    description: an authenticated client downloads far more than its own usual
    on: [principal, apikey]
    window: 1h
    when:
      bytesOut: { min: 1e8, factor: 10, over: 24h }
    severity: high
    decision: { action: alert, duration: 6h }

  - name: data-volume-operation
    description: an operation sends far more bytes or sensitive values than its baseline
    on: operation
    window: 10m
    when:
      - bytesOut: { min: 5e8, sigma: 8, factor: 5 }
      - sensitive: { min: 1000, sigma: 8, factor: 5 }
    attribute:
      kinds: [ip, subnet, fingerprint, principal]
      by: bytesOut
      when: { bytesOut: { min: 5e7 } }
    severity: high
    decision: { action: alert, duration: 6h }
`;
