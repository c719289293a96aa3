/**
 * The fixed guidance every signal carries. The five steps follow the "Triage and response" section of
 * Datadog's Workload Protection rule "Network utility executed in container"
 * (https://docs.datadoghq.com/security/default_rules/net_util_in_container/), in our own words.
 */
import { CHANNEL_RULE, RULE } from "../model.js";

export const TRIAGE_STEPS: readonly string[] = Object.freeze([
  "Decide whether this execution is expected for this workload (a known job, a health check, a sanctioned debugging session).",
  "Review the process ancestry and the arguments for unexpected processes or files that were executed.",
  "If it is unexpected, contain it: stop or isolate the workload depending on the stage of the attack, rotate credentials it could reach (task role, instance profile, service account token), look for signs of the initial compromise, and follow your incident response process.",
  "Establish what the attacker did with the network tool: review other security signals around the time of the event to trace the attack path (for suspected DNS exfiltration, examine DNS traffic and resolvers).",
  "Find and fix the root cause of the compromise.",
]);

export const MITRE_TACTIC_URL = `https://attack.mitre.org/tactics/${RULE.tactic}/`;
export const MITRE_TECHNIQUE_URL = `https://attack.mitre.org/techniques/${RULE.technique}/`;
export const CHANNEL_MITRE_TECHNIQUE_URL = `https://attack.mitre.org/techniques/${CHANNEL_RULE.technique}/`;
export const RULE_DOC_URL = "https://github.com/netutil-detector/netutil-detector#the-rule";
