#!/usr/bin/env bash
# Install prevalidate's webhook on a cluster without cert-manager:
#   deploy/webhook/install-without-cert-manager.sh
# 1. `prevalidate webhook certs` writes a self-signed CA and a serving certificate for
#    prevalidate-webhook.prevalidate.svc; 2. they become the Secret the Deployment mounts;
# 3. the manifests are applied; 4. the CA goes into the configuration's caBundle.
# Environment: KUBECTL (kubectl), PREVALIDATE (prevalidate), NAMESPACE (prevalidate),
# SERVICE (prevalidate-webhook), CERT_DIR (a temporary folder, removed afterwards).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-kubectl}
prevalidate=${PREVALIDATE:-prevalidate}
ns=${NAMESPACE:-prevalidate}
svc=${SERVICE:-prevalidate-webhook}
certs=${CERT_DIR:-}
if [ -z "$certs" ]; then
  certs=$(mktemp -d)
  trap 'rm -rf "$certs"' EXIT
fi

$prevalidate webhook certs --service "$svc" --namespace "$ns" --out "$certs"
$kubectl create namespace "$ns" --dry-run=client -o yaml | $kubectl apply -f -
$kubectl -n "$ns" create secret tls "$svc-tls" --cert "$certs/tls.crt" --key "$certs/tls.key" \
  --dry-run=client -o yaml | $kubectl apply -f -
$kubectl apply -k "$here/base"
ca=$(base64 -w0 <"$certs/ca.crt")
$kubectl patch validatingwebhookconfiguration prevalidate-webhook --type=json \
  -p "[{\"op\": \"add\", \"path\": \"/webhooks/0/clientConfig/caBundle\", \"value\": \"$ca\"}]"
echo "prevalidate webhook installed in namespace $ns (caBundle set; certificate valid for $svc.$ns.svc)"
