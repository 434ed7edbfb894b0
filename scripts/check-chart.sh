#!/usr/bin/env bash
# Checks the Helm chart deploy/helm/psimon with real tools, as CI runs it:
#   - `helm lint` (strict) with the default values and with every option on;
#   - `helm template` of both, validated against the Kubernetes API schemas offline by
#     kubernetes-validate (strict: unknown fields are errors). The prometheus-operator
#     kinds (ServiceMonitor, PrometheusRule) have no schema there: the PrometheusRule's
#     rules go through `promtool check rules` instead;
#   - the chart's copy of the alert rules equals deploy/prometheus/psimon-alerts.yml;
#   - the chart's default config, with the example baseline, passes `psimon check-config`;
#   - deploy/kubernetes/psimon.yaml is the chart rendered with its defaults and the
#     example baseline (`scripts/check-chart.sh --write` renders it again).
# helm (go install from the Go module proxy) and kubernetes-validate (a venv from PyPI)
# are installed into ~/.cache/psimon on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

helm_version=v3.22.0
kv_version=1.37.0
cache=${PSIMON_KAFKA_HOME:-$HOME/.cache/psimon}
helm="$cache/bin/helm"
kv="$cache/kubeval/bin/kubernetes-validate"
chart=deploy/helm/psimon
log() { echo "check-chart.sh: $*" >&2; }

if ! [ -x "$helm" ] || ! go version -m "$helm" 2>/dev/null | grep -q "mod.*helm.sh/helm/v3.*$helm_version"; then
  log "installing helm $helm_version with go install"
  mkdir -p "$cache/bin"
  GOBIN="$cache/bin" go install "helm.sh/helm/v3/cmd/helm@$helm_version"
fi
if ! [ -x "$kv" ] || ! "$kv" --version 2>/dev/null | grep -q "$kv_version"; then
  log "installing kubernetes-validate $kv_version into a venv"
  python3 -m venv "$cache/kubeval"
  "$cache/kubeval/bin/pip" install -q "kubernetes-validate==$kv_version"
fi

if [ "${1:-}" = "--write" ]; then
  {
    echo "# Rendered from the Helm chart deploy/helm/psimon with its default values and the"
    echo "# example baseline by scripts/check-chart.sh --write; edit the chart, not this file."
    echo "# CI checks that it is up to date."
    "$helm" template psimon "$chart" --set-file 'baselines.baseline\.json=config/baseline.example.json'
  } > deploy/kubernetes/psimon.yaml
  log "wrote deploy/kubernetes/psimon.yaml"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every option on: secrets, SSL, Avro credentials, a baseline, the operator resources.
cat > "$work/all.yaml" <<'VALUES'
replicaCount: 3
kafka:
  sasl: {existingSecret: psimon-kafka}
  ssl: {existingSecret: psimon-kafka-ca, clientCertSecret: psimon-kafka-client}
httpTls: {existingSecret: psimon-http-tls}
networkPolicy:
  enabled: true
  from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
schemaRegistry: {existingSecret: psimon-registry}
env:
  - {name: PSIMON_EVALUATION__ALERT_PSI, value: "0.3"}
serviceMonitor:
  enabled: true
  labels: {release: prometheus}
  tlsConfig: {ca: {secret: {name: psimon-http-ca, key: ca.crt}}, serverName: psimon-headless}
prometheusRule: {enabled: true}
nodeSelector: {kubernetes.io/os: linux}
VALUES

"$helm" lint --strict "$chart"
"$helm" lint --strict "$chart" -f "$work/all.yaml" \
  --set-file 'baselines.baseline\.json=config/baseline.example.json'

"$helm" template psimon "$chart" > "$work/default.yaml"
"$helm" template psimon "$chart" --set existingConfigSecret=psimon-config > "$work/secret.yaml"
grep -q "secretName: psimon-config" "$work/secret.yaml"
if grep -q "^kind: ConfigMap" "$work/secret.yaml"; then
  log "with existingConfigSecret the chart still renders a ConfigMap"
  exit 1
fi
"$helm" template psimon "$chart" \
  --set-file 'baselines.baseline\.json=config/baseline.example.json' > "$work/plain.yaml"
"$helm" template psimon "$chart" -f "$work/all.yaml" \
  --set-file 'baselines.baseline\.json=config/baseline.example.json' > "$work/all-rendered.yaml"

# kubernetes-validate, one document per file, the operator kinds set aside.
python3 - "$work" <<'PY'
import sys, os, re
work = sys.argv[1]
for name in ("default.yaml", "all-rendered.yaml", "secret.yaml"):
    text = open(os.path.join(work, name)).read()
    docs = [d for d in re.split(r"^---\s*$", text, flags=re.M) if re.search(r"^kind:", d, flags=re.M)]
    for i, d in enumerate(docs):
        kind = re.search(r"^kind:\s*(\S+)", d, flags=re.M).group(1)
        sub = "operator" if kind in ("ServiceMonitor", "PrometheusRule") else "k8s"
        os.makedirs(os.path.join(work, sub), exist_ok=True)
        with open(os.path.join(work, sub, f"{name}-{i}-{kind}.yaml"), "w") as f:
            f.write(d)
PY
"$kv" --strict --quiet "$work"/k8s/*.yaml
count=$(ls "$work"/k8s/*.yaml | wc -l)
log "$count Kubernetes resources valid against the 1.37 schemas (strict)"

# Exactly one Service matches the ServiceMonitor (two would scrape every pod twice).
python3 - "$work/all-rendered.yaml" <<'PY'
import re, sys
docs = re.split(r"^---\s*$", open(sys.argv[1]).read(), flags=re.M)
def labels(block):
    return dict(re.findall(r'^\s{4,6}([\w./-]+): "?([^"\n]*)"?$', block, flags=re.M))
monitor = next(d for d in docs if re.search(r"^kind: ServiceMonitor", d, flags=re.M))
want = labels(monitor.split("matchLabels:", 1)[1].split("endpoints:", 1)[0])
services = [d for d in docs if re.search(r"^kind: Service$", d, flags=re.M)]
matching = [re.search(r"^  name: (\S+)", d, flags=re.M).group(1) for d in services
            if want.items() <= labels(d.split("labels:", 1)[1].split("spec:", 1)[0]).items()]
if len(matching) != 1:
    sys.exit(f"check-chart.sh: {len(matching)} Services match the ServiceMonitor {want}: {matching}")
print(f"check-chart.sh: the ServiceMonitor selects exactly one Service: {matching[0]}", file=sys.stderr)
PY
# The password comes from a mounted file, never from the environment.
grep -q "PSIMON_KAFKA__SECRET_FILES__SASL.PASSWORD" "$work/all-rendered.yaml"
if grep -q "PSIMON_KAFKA__PROPERTIES__SASL.PASSWORD" "$work/all-rendered.yaml"; then
  log "the chart passes the SASL password in the environment"
  exit 1
fi

# The PrometheusRule's rules, as Prometheus would load them.
test "$(ls "$work"/operator/*PrometheusRule.yaml | wc -l)" = 1
test "$(ls "$work"/operator/*ServiceMonitor.yaml | wc -l)" = 1
python3 - "$work"/operator/*PrometheusRule.yaml > "$work/rules.yml" <<'PY'
import sys, re
text = open(sys.argv[1]).read()
# The rule groups are the document's spec, indented by two: unindent them.
spec = text.split("\nspec:\n", 1)[1]
print("\n".join(l[2:] if l.startswith("  ") else l for l in spec.splitlines()))
PY
promtool check rules "$work/rules.yml"
grep -q "alert: PsimonTargetDown" "$work/rules.yml"
grep -q "alert: PsimonAbsent" "$work/rules.yml"

cmp deploy/prometheus/psimon-alerts.yml "$chart/files/psimon-alerts.yml" || {
  log "deploy/helm/psimon/files/psimon-alerts.yml differs from deploy/prometheus/psimon-alerts.yml: copy it"
  exit 1
}

# The default config, mounted beside the example baseline, checks out.
mkdir -p "$work/etc"
python3 - "$work/default.yaml" > "$work/etc/psimon.toml" <<'PY'
import sys
text = open(sys.argv[1]).read()
block = text.split("  psimon.toml: |\n", 1)[1]
lines = []
for l in block.splitlines():
    if l and not l.startswith("    "):
        break
    lines.append(l[4:])
print("\n".join(lines))
PY
cp config/baseline.example.json "$work/etc/baseline.json"
bin=${PSIMON_BIN:-target/release/psimon}
[ -x "$bin" ] || cargo build --release -q
"$bin" check-config "$work/etc/psimon.toml"

{
  echo "# Rendered from the Helm chart deploy/helm/psimon with its default values and the"
  echo "# example baseline by scripts/check-chart.sh --write; edit the chart, not this file."
  echo "# CI checks that it is up to date."
  cat "$work/plain.yaml"
} | cmp - deploy/kubernetes/psimon.yaml || {
  log "deploy/kubernetes/psimon.yaml is not the chart rendered with its defaults: run scripts/check-chart.sh --write"
  exit 1
}
log "chart ok"
