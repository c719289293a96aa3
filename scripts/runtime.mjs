// How the function's Node process is tuned, set as NODE_OPTIONS by all three deployments (Terraform,
// SAM, serverless; test/infra/consistency.test.ts holds them to this value) and used by `npm run bench`
// for its maximal-batch memory probe, so the figure measured is the figure deployed.
//
// --max-semi-space-size=2 (MiB): V8's young generation otherwise grows to 16 MiB semi-spaces while a
// maximal batch (26 MiB decompressed) is live, and peak RSS grows 3.9x the payload; with 2 MiB it grows
// 2.4-2.7x (README, Performance), and the pipeline's CPU time moves by -4 % (all utilities) to +2 % (1 in 200)
// in the same run.
// 1, 4 and 8 MiB measured 2.8x, 3.1x and 3.3x.
export const LAMBDA_NODE_OPTIONS = "--max-semi-space-size=2";
