#!/usr/bin/env node
// Diffs CloudFormation templates with @aws-cdk/cloudformation-diff, the engine of `cdk diff`.
// The library, not `cdk diff --template`: it returns each change's impact (WILL_REPLACE, ...) and
// whether permissions broadened as data, for every stage in one process, where the CLI prints
// colored text for one stack at a time that the guard would have to scrape.
//
// stdin:  {"<stage>": {"old": template | null, "new": template | null}, ...}
// stdout: {"<stage>": {"resources": [...], "iam": {...}, "securityGroups": {...}, ...}, ...}
'use strict';

const { fullDiff } = require('@aws-cdk/cloudformation-diff');

const plain = (rows) => rows.map((row) => row.map((cell) => String(cell)));

function differences(collection) {
  const out = [];
  collection.forEachDifference((name, change) => {
    out.push({ name, old: change.oldValue ?? null, new: change.newValue ?? null });
  });
  return out;
}

function resourceChanges(diff) {
  const out = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const properties = [];
    const other = [];
    change.forEachDifference((kind, name, value) => {
      const entry = { name, old: value.oldValue ?? null, new: value.newValue ?? null };
      if (kind === 'Property') {
        properties.push({ ...entry, impact: value.changeImpact ?? 'WILL_UPDATE' });
      } else {
        other.push(entry);
      }
    });
    out.push({
      logicalId,
      oldType: change.oldResourceType ?? null,
      newType: change.newResourceType ?? null,
      impact: change.changeImpact,
      properties,
      other,
    });
  });
  return out;
}

function stageDiff({ old: oldTemplate, new: newTemplate }) {
  const diff = fullDiff(oldTemplate ?? {}, newTemplate ?? {});
  return {
    resources: resourceChanges(diff),
    parameters: differences(diff.parameters),
    outputs: differences(diff.outputs),
    conditions: differences(diff.conditions),
    iam: {
      broadened: diff.iamChanges.permissionsBroadened,
      statements: diff.iamChanges.hasChanges ? plain(diff.iamChanges.summarizeStatements()) : [],
      managedPolicies: diff.iamChanges.hasChanges
        ? plain(diff.iamChanges.summarizeManagedPolicies())
        : [],
    },
    securityGroups: {
      rulesAdded: diff.securityGroupChanges.rulesAdded,
      rules: diff.securityGroupChanges.hasChanges ? plain(diff.securityGroupChanges.summarize()) : [],
    },
  };
}

function main() {
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    const stages = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const result = {};
    for (const [stage, pair] of Object.entries(stages)) {
      result[stage] = stageDiff(pair);
    }
    process.stdout.write(JSON.stringify(result));
  });
}

main();
