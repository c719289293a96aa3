import { run } from "./cli/main.js";

await run();
