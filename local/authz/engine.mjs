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
import {
  createValidatedPolicy,
  validateEndpointPolicy,
  validateIdentityPolicy
} from '@cloud-copilot/iam-policy'
import { runSimulation } from '@cloud-copilot/iam-simulate'

// Validating a policy is half of a simulation's time, and the same few documents come back on
// every call: keep each validated document, keyed by its text (a changed policy is a new key).
const validated = new Map()
const MAX_VALIDATED = 512

function validatedOnce(entries, validate) {
  return entries.map(({ name, policy }) => {
    const key = `${name}\n${JSON.stringify(policy)}`
    let found = validated.get(key)
    if (found === undefined) {
      if (validated.size >= MAX_VALIDATED) validated.clear()
      found = createValidatedPolicy(policy, validate, { name })
      validated.set(key, found)
    }
    return { name, policy: found }
  })
}

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
  simulation.identityPolicies = validatedOnce(simulation.identityPolicies, validateIdentityPolicy)
  if (simulation.vpcEndpointPolicies) {
    simulation.vpcEndpointPolicies = validatedOnce(
      simulation.vpcEndpointPolicies,
      validateEndpointPolicy
    )
  }
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
