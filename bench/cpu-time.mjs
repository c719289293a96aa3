// Preloaded (node --import) into every contender the bench races: at exit, writes the process's CPU
// time (user + system, in ms) to BENCH_CPU_FILE. On a shared machine CPU time is what stays put while
// wall time follows the neighbours' load.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_CPU_FILE;
if (file) {
  process.on("exit", () => {
    const { userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(file, String((userCPUTime + systemCPUTime) / 1000));
  });
}
