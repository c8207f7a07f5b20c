// The local cloud's policy engine: @cloud-copilot/iam-simulate (AGPL-3.0, a development tool that
// never ships in the Lambda package), kept alive for the whole run of the endpoint.
// Protocol: one JSON object per line on stdin, one answer per line on stdout, in order.
//   in:  {"simulation": {...runSimulation's input...}}
//   out: {"result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied",
//         "identity": <identity policies' result>, "endpoint": <endpoint policies' result or null>}
//     or {"error": "..."} when the engine rejects the input.
// The first line out is {"ready": true, "node": process.version}, after a warm-up simulation
// (the first one loads the IAM action data, ~30 ms; the rest take well under a millisecond).
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const warmUp = {
  request: {
    principal: 'arn:aws:iam::000000000000:role/warm-up',
    action: 'dynamodb:GetItem',
    resource: { resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t', accountId: '000000000000' },
    contextVariables: {}
  },
  identityPolicies: [],
  serviceControlPolicies: [],
  resourceControlPolicies: []
}

async function answer(line) {
  const { simulation } = JSON.parse(line)
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { error: JSON.stringify(response.errors) }
  }
  if (response.resultType !== 'single') {
    return { error: `expected one resource, got a ${response.resultType} simulation` }
  }
  const analysis = response.result.analysis
  return {
    result: response.overallResult,
    identity: analysis.identityAnalysis?.result ?? null,
    endpoint: analysis.endpointAnalysis?.result ?? null
  }
}

await runSimulation(warmUp, {})
process.stdout.write(JSON.stringify({ ready: true, node: process.version }) + '\n')
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  let reply
  try {
    reply = await answer(line)
  } catch (error) {
    reply = { error: String(error?.message ?? error) }
  }
  process.stdout.write(JSON.stringify(reply) + '\n')
}
