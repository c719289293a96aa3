/**
 * The shared vocabulary of the detector. Every stage of the pipeline speaks these types:
 * ingest produces {@link LogBatch}, sources produce {@link ExecEvent}, detection produces
 * {@link Finding}, signals produce {@link Signal}. Nothing here imports anything.
 */

/** Log formats the detector understands, one parser each under src/sources/. */
export const SOURCE_FORMATS = ["tetragon", "falco", "datadog", "k8s-audit", "cloudtrail-ecs-exec"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** One CloudWatch Logs log event as delivered by a subscription. */
export interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
}

/** A decoded CloudWatch Logs subscription payload (DATA_MESSAGE). */
export interface LogBatch {
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: LogEvent[];
  /** Entries of `logEvents` that were unusable (not an object, message not a string); counted. */
  dropped?: { index: number; reason: string }[];
}

/** Where a log event came from; handed to every source parser. */
export interface LogContext {
  logGroup: string;
  logStream: string;
  owner: string;
  eventId: string;
  /** CloudWatch Logs ingestion timestamp of the log event, epoch milliseconds. */
  timestamp: number;
}

export type Platform = "ecs" | "eks" | "kubernetes" | "docker" | "unknown";

export interface ProcessInfo {
  /** Executable name: basename of the path, or comm, or argv[0] basename. */
  name: string;
  path?: string;
  /** Arguments WITHOUT argv[0]. */
  args?: string[];
  pid?: number;
  user?: string;
  cwd?: string;
  /**
   * The kernel's name for the process (Falco proc.name, Datadog comm) when it differs from `name`:
   * a symlink or hard link to curl run as /tmp/firewire has path /usr/bin/curl and comm "firewire".
   */
  comm?: string;
}

/**
 * Ancestors an {@link ExecEvent} carries and detection looks at, nearest first: enough for any real
 * process tree, bounded for hostile input. Parsers cut their chains here, the rule and the allowlist
 * read no further. A signal keeps fewer (`ANCESTORS_IN_SIGNAL`, src/signals/build.ts): judging needs
 * the whole chain, an alert only the nearest part a person reads.
 */
export const ANCESTORS_READ = 64;

/** An ancestor process; `ancestors[0]` is the parent. */
export interface AncestorInfo {
  name?: string;
  path?: string;
  args?: string[];
}

export interface ContainerInfo {
  id?: string;
  name?: string;
  image?: string;
}

export interface WorkloadInfo {
  platform: Platform;
  cluster?: string;
  namespace?: string;
  pod?: string;
  /** ECS task ARN or id. */
  task?: string;
  node?: string;
  /** The controller that owns the pod (Deployment, DaemonSet, StatefulSet, Job, …), when the format says. */
  owner?: { kind: string; name: string };
  /** Pod labels (Kubernetes) or container labels, when the format carries them. */
  labels?: Record<string, string>;
  /** ECS service name, when known. */
  service?: string;
  /** ECS task definition family, when known. */
  family?: string;
}

/** Who opened an exec session (kubectl exec / ECS Exec). */
export interface Actor {
  user?: string;
  sourceIPs?: string[];
  userAgent?: string;
}

export interface SourceRef {
  format: SourceFormat;
  logGroup: string;
  logStream: string;
  eventId: string;
  owner: string;
  /** The TRUSTED_SOURCES entry that let this stream speak for the format, when trust is configured. */
  vouchedBy?: string;
}

/** One normalized process execution, whatever log format it came from. */
export interface ExecEvent {
  process: ProcessInfo;
  /** Nearest first: ancestors[0] is the parent. */
  ancestors: AncestorInfo[];
  container: ContainerInfo;
  workload: WorkloadInfo;
  /** true: in a container; false: host process; "unknown": the format cannot tell. */
  inContainer: boolean | "unknown";
  /** true for kubectl exec / ECS Exec sessions: `process` is the requested command line. */
  viaExecSession: boolean;
  /** ISO-8601 time of the execution (from the event itself, else the log event timestamp). */
  time: string;
  source: SourceRef;
  /**
   * Identity of one logical execution across several log events, when the format has one
   * (Kubernetes audit `auditID`, ECS Exec session id). Events with the same key are one signal.
   */
  sessionKey?: string;
  actor?: Actor;
  /**
   * Process identity for batch-level correlation (Tetragon `exec_id`s), when the event's ancestry may
   * continue in other events of the same batch: the chain is then completed before detection.
   */
  lineage?: Lineage;
  /** Facts the format states that matter for triage (setuid binary, outside the container's init tree); shown as reasons. */
  notes?: string[];
}

/** Exec ids of a process, its parent and its grandparent, as the format names them. */
export interface Lineage {
  /** True when the event already carries its whole ancestry (Tetragon's `ancestors` list). */
  complete?: true;
  execId?: string;
  parentExecId?: string;
  grandparentExecId?: string;
}

/** A source parser: pure, never throws for any input; `null` means "not my format". */
export interface SourceParser {
  format: SourceFormat;
  /** Cheap test on the raw message text (substring checks), run before any JSON parsing. */
  sniff(message: string): boolean;
  parse(message: string, ctx: LogContext): ExecEvent[] | null;
  /**
   * Substrings that mark a message the raw-text prefilter must always let through, because the format
   * can carry a command where no utility name shows literally (URL-encoded, split by shell quoting).
   * Empty when every command the format carries shows its names as written.
   */
  alwaysParse: readonly string[];
}

/** Ordered severities, lowest first. Compare with the helpers in severity.ts only. */
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const UTILITY_CATEGORIES = [
  "download",
  "remote-copy",
  "dns",
  "relay",
  "scanner",
  "sniffer",
  // The channel rule family: /dev/tcp, openssl s_client, tunnel tools (src/detection/channels.ts).
  "channel",
] as const;
export type UtilityCategory = (typeof UTILITY_CATEGORIES)[number];

export interface Utility {
  name: string;
  category: UtilityCategory;
}

/** The rule's identity, fixed. */
export const RULE = Object.freeze({
  id: "net_util_in_container",
  name: "Network utility executed in container",
  tactic: "TA0011",
  technique: "T1105",
} as const);
/** The second rule family: network channels opened without a catalogued utility. */
export const CHANNEL_RULE = Object.freeze({
  id: "net_channel_in_container",
  name: "Network channel opened in container",
  tactic: "TA0011",
  technique: "T1095",
} as const);
export type Rule = typeof RULE | typeof CHANNEL_RULE;

/** A detection on one ExecEvent. */
export interface Finding {
  /** The rule family that made the finding; {@link RULE} when absent. */
  rule?: Rule;
  event: ExecEvent;
  utility: Utility;
  /**
   * The process that is the utility. Usually `event.process`; for exec sessions whose command is
   * `sh -c 'curl … | sh'` it is the utility found inside the payload (name + args of that segment).
   */
  process: ProcessInfo;
  severity: Severity;
  /** Plain-words reasons, the highest-severity reason first. */
  reasons: string[];
}

/** What the rule says about one ExecEvent. Everything is counted, only findings may become signals. */
export type Verdict =
  | { kind: "none"; why: "not-a-utility" | "host-process" }
  | { kind: "benign"; utility: Utility; why: string }
  | { kind: "finding"; finding: Finding };

/**
 * The alert, as sent to machines (JSON) and rendered for humans. Every field is declared in
 * src/signals/signal-fields.ts (text, arguments, list, fixed), which redaction and truncation walk.
 */
export interface Signal {
  /** Stable for the same evidence: a retried batch yields the same ids. */
  id: string;
  rule: Rule;
  severity: Severity;
  reasons: string[];
  /** ISO time of the first execution in the group. */
  timestamp: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  title: string;
  /** "The process `<name>` was executed, potentially to download additional tools." */
  message: string;
  utility: Utility;
  process: { name: string; path: string | null; args: string[] };
  ancestors: AncestorInfo[];
  container: { id: string | null; name: string | null; image: string | null };
  workload: WorkloadInfo;
  inContainer: boolean | "unknown";
  viaExecSession: boolean;
  actor?: Actor;
  source: {
    format: SourceFormat;
    logGroup: string;
    logStream: string;
    eventIds: string[];
    owner: string;
    /** The TRUSTED_SOURCES entry that let this stream speak for the format, when trust is configured. */
    vouchedBy?: string;
  };
  triage: string[];
  /** Present when long evidence was cut to keep the SNS message under 256 KiB. */
  truncated?: true;
  links: { logStream: string; mitreTactic: string; mitreTechnique: string; rule: string };
  /** Set by the signal ledger when it has something to say: the group, the last window's repeats, a capped page. */
  ledger?: LedgerNote;
}

/** What the signal ledger (src/signals/ledger.ts) adds to a signal it publishes. */
export interface LedgerNote {
  /** The group key (src/signals/group-key.ts). */
  group: string;
  /** Executions of the group counted, not sent, in its previous window, and when that window began. */
  repeats?: number;
  since?: string;
  /** The workload used up its pages for the window: this one went to the alert topic only. */
  pagingCapped?: true;
}

/** Counters of one batch; every log event lands in exactly one of the event outcome buckets. */
export interface BatchStats {
  logEvents: number;
  /** Log events of the payload that were unusable (not an object, message not a string). */
  invalidEvents: number;
  /** Skipped by the raw-text prefilter: no network utility name occurs in the text. */
  prefiltered: number;
  /** Text that no source recognized (plain app lines, other JSON). */
  unrecognized: number;
  /** A source recognized the event but it was malformed for that format. */
  parseErrors: number;
  /** Well-formed records from a stream TRUSTED_SOURCES does not trust for their format; dropped. */
  untrusted: number;
  execEvents: Partial<Record<SourceFormat, number>>;
  hostProcesses: number;
  notUtility: number;
  benign: number;
  findings: Record<Severity, number>;
  belowMinSeverity: number;
  suppressed: number;
  signals: number;
  /** Exec events met after the batch's time budget ran out: judged without analysis, fail closed. */
  overBudget: number;
}
