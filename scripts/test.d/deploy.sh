#!/usr/bin/env bash
# Offline validation of everything an operator deploys, and the multi-replica proof:
# docker-compose (compose-spec schema + docker-compose config), the kustomize overlays
# (Kubernetes 1.30 schemas, strict), Prometheus config, rules and rule unit tests, the Grafana
# dashboard, the nginx template (rendered, then at work: scripts/check-nginx.py), the shipped
# wxsession configs, metric names against a real scrape, and scripts/local-cluster.sh --test.
set -euo pipefail
cd "$(dirname "$0")/../.."
log() { printf -- '--> %s\n' "$*"; }
. scripts/lib.sh

need_tools promtool:prometheus docker-compose:docker-compose nginx:nginx-light \
  envsubst:gettext-base kubectl:kubernetes-client
python3 -c 'import venv' 2>/dev/null || need_packages python3-venv
venv=target/tools/venv
if [[ ! -x $venv/bin/kubernetes-validate || ! -x $venv/bin/check-jsonschema ]]; then
  log "installing kubernetes-validate and check-jsonschema into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check kubernetes-validate==1.37.0 check-jsonschema==0.39.0 pyyaml
fi
py=$venv/bin/python
tmp=$(mktemp -d)
dev_pid=""
cleanup() { [[ -n $dev_pid ]] && kill "$dev_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

log "generated secrets (nothing known ships)"
scripts/dev-secrets.sh
committed=$(git ls-files deploy/secrets k8s/overlays/dev/secrets.env | grep -v '/README$' || true)
[[ -z $committed ]] || { echo "secrets are committed: $committed" >&2; exit 1; }

log "docker-compose.yml against the compose-spec schema"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
docker-compose -f docker-compose.yml config -q
"$py" - <<'PY'
import yaml
compose = yaml.safe_load(open("docker-compose.yml"))
for name, svc in compose["services"].items():
    for port in svc.get("ports", []):
        # Only the edge is published beyond loopback.
        assert name == "nginx" or str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
grafana = compose["services"]["grafana"]["environment"]
assert grafana.get("GF_AUTH_ANONYMOUS_ENABLED") == "false", "Grafana allows anonymous users"
assert "GF_SECURITY_ADMIN_PASSWORD__FILE" in grafana, "Grafana keeps admin/admin"
for name, secret in compose["secrets"].items():
    assert not secret["file"].endswith(".example"), f"{name} ships a known value"
print("compose: only nginx is published; Grafana needs its generated password")
PY

log "kustomize overlays against the Kubernetes 1.30 schemas"
for overlay in k8s/overlays/*/; do
  kubectl kustomize "$overlay" >"$tmp/rendered.yaml"
  "$venv/bin/kubernetes-validate" --strict --quiet -k 1.30.0 "$tmp/rendered.yaml"
  # The CRDs (ServiceMonitor, PrometheusRule) have no bundled schema: check them here.
  OVERLAY=$overlay "$py" - "$tmp/rendered.yaml" "$tmp/k8s-rules.yml" <<'PY'
import os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
overlay = os.environ["OVERLAY"]
for kind in ("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget",
             "NetworkPolicy", "ServiceMonitor", "PrometheusRule"):
    assert kind in kinds, f"{overlay}: no {kind}"
dep = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "wxsession"][0]
spec = dep["spec"]["template"]["spec"]
c = spec["containers"][0]
assert dep["spec"]["replicas"] >= 3
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
assert spec["securityContext"]["runAsNonRoot"] and c["securityContext"]["readOnlyRootFilesystem"]
assert "preStop" in c["lifecycle"] and "requests" in c["resources"]
toml = [d for d in docs if d["kind"] == "ConfigMap"][0]["data"]["wxsession.toml"]
timeout = int(toml.split("shutdown_timeout_secs = ")[1].split()[0])
assert spec["terminationGracePeriodSeconds"] > timeout + c["lifecycle"]["preStop"]["sleep"]["seconds"]
sm = kinds["ServiceMonitor"]["spec"]
assert sm["endpoints"][0]["port"] == "metrics"
svc_ports = [p["name"] for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "wxsession" for p in d["spec"]["ports"]]
assert "metrics" in svc_ports
# The admin API: its own port and Service, never the Service an Ingress uses, and open in the
# NetworkPolicy only to labelled clients.
assert "admin_bind" in toml, "the admin API shares the public listener"
assert "admin" not in svc_ports and 9091 not in [p["port"] for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "wxsession" for p in d["spec"]["ports"]]
admin_svc = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "wxsession-admin"]
assert admin_svc and admin_svc[0]["spec"].get("type", "ClusterIP") == "ClusterIP"
policy = kinds["NetworkPolicy"]["spec"]
admin_rules = [r for r in policy["ingress"] if any(p.get("port") == 9091 for p in r.get("ports", []))]
assert admin_rules and all(r.get("from") for r in admin_rules), "the admin port is open to all"
rules = kinds["PrometheusRule"]["spec"]
assert rules == yaml.safe_load(open("deploy/prometheus/alerts.yml")), "k8s/base/prometheusrule.yaml drifted from deploy/prometheus/alerts.yml"
yaml.safe_dump(rules, open(sys.argv[2], "w"))
print(f"{overlay}: {len(docs)} objects checked")
PY
  promtool check rules "$tmp/k8s-rules.yml" >/dev/null
done

log "k8s/examples (ingress-nginx) against the Kubernetes 1.30 schemas"
for example in k8s/examples/*.yaml; do
  "$venv/bin/kubernetes-validate" --strict --quiet -k 1.30.0 "$example"
done
"$py" - <<'PY'
import yaml
docs = [d for d in yaml.safe_load_all(open("k8s/examples/ingress-nginx.yaml")) if d]
text = open("k8s/examples/ingress-nginx.yaml").read()
annotations = lambda d: d["metadata"].get("annotations", {})
guarded = [d for d in docs if "nginx.ingress.kubernetes.io/auth-url" in annotations(d)]
assert guarded, "no Ingress behind forward auth"
for d in guarded:
    assert annotations(d)["nginx.ingress.kubernetes.io/auth-url"].endswith("/v1/auth"), d
    assert "X-WX-OpenID" in annotations(d)["nginx.ingress.kubernetes.io/auth-response-headers"]
# The method and origin reach /v1/auth (ingress-nginx's X-Original-Method, or the snippet's
# headers), and callbacks are logged without their query string.
for needle in ("X-Original-Method", "X-Forwarded-Method $request_method", "X-Forwarded-Uri $request_uri",
               "Origin $http_origin", "~*^/v1/web/[^/]+/callback  $uri", "$wxsession_logged_uri"):
    assert needle in text, f"k8s/examples/ingress-nginx.yaml lost {needle}"
for d in docs:
    for rule in d["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"]["name"] != "wxsession-admin", "the admin API behind an Ingress"
print(f"k8s/examples: {len(docs)} objects checked")
PY

log "Prometheus config, rules and rule unit tests"
promtool check config deploy/prometheus/prometheus.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

log "Grafana dashboard and provisioning"
"$py" - <<'PY'
import json, yaml
dash = json.load(open("deploy/grafana/wxsession-dashboard.json"))
assert dash["uid"] == "wxsession" and dash["panels"], "dashboard has panels"
for p in dash["panels"]:
    assert p["targets"] and all(t["expr"].strip() for t in p["targets"]), p["title"]
for f in ("datasources/prometheus.yml", "dashboards/wxsession.yml"):
    yaml.safe_load(open(f"deploy/grafana/provisioning/{f}"))
print(f"{len(dash['panels'])} panels")
PY

log "nginx template (as rendered for compose)"
NGINX_LISTEN=18080 DEMO_LISTEN=127.0.0.1:18088 \
  WXSESSION_SERVERS="server 127.0.0.1:18081; server 127.0.0.1:18082;" render_nginx >"$tmp/wxsession.conf"
printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { include %s/wxsession.conf; }\n' "$tmp" "$tmp" >"$tmp/nginx.conf"
nginx -t -q -p "$tmp" -c "$tmp/nginx.conf"
# At work, in front of a stand-in wxsession: forward auth passes the original method, URI and
# Origin; web-login callbacks are logged without their query string (the code is in it).
mkdir "$tmp/edge"
read -r up edge demo < <(free_ports 3 | paste -sd' ')
NGINX_LISTEN="127.0.0.1:$edge" DEMO_LISTEN="127.0.0.1:$demo" \
  WXSESSION_SERVERS="server 127.0.0.1:$up;" render_nginx >"$tmp/edge/wxsession.conf"
python3 scripts/check-nginx.py "$tmp/edge" "$up" "$edge"

log "shipped wxsession configs pass check-config"
cargo build -q -p wxsession
bin=target/debug/wxsession
printf 'admin-token-for-the-check\n' >"$tmp/admin"; printf 'app-secret\n' >"$tmp/secret"
for cfg in deploy/config/wxsession.compose.toml k8s/base/wxsession.toml config/wxsession.example.toml; do
  sed -e "s#/run/secrets/wxsession-admin#$tmp/admin#; s#/run/secrets/wx-secret#$tmp/secret#" \
      -e "s#/run/secrets/wxsession/admin-token#$tmp/admin#; s#/run/secrets/wxsession/wx-secret#$tmp/secret#" \
      "$cfg" >"$tmp/check.toml"
  "$bin" check-config --config "$tmp/check.toml" >/dev/null
done

log "metric names in rules and dashboard exist in a real scrape"
read -r api sim ops < <(free_ports 3 | paste -sd' ')
"$bin" dev --bind "127.0.0.1:$api" --mock-bind "127.0.0.1:$sim" --metrics-bind "127.0.0.1:$ops" >"$tmp/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$api/healthz" >/dev/null && break; sleep 0.05; done
token=$(curl -sf -X POST "http://127.0.0.1:$api/v1/sessions" -H 'content-type: application/json' \
  -d '{"appid":"wx1234567890abcdef","code":"user:metrics:1"}' | extract_token)
enc=$(curl -sf -X POST "http://127.0.0.1:$sim/__sim/encrypt" -H 'content-type: application/json' \
  -d '{"appid":"wx1234567890abcdef","user":"metrics","data":{"a":1}}')
curl -sf -X POST "http://127.0.0.1:$api/v1/sessions/current/decrypt" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d "$enc" >/dev/null
log "dev banner: its many-apps lines run as printed (add an app at runtime, log in, list, delete)"
sed -n '/^# many apps/,/^curl -s -X DELETE .*admin\/apps/p' "$tmp/dev.log" >"$tmp/many-apps.sh"
many=$(bash "$tmp/many-apps.sh")
if ! grep -q '"source":"runtime"' <<<"$many" || ! grep -q '"session":"' <<<"$many" \
  || ! grep -qx '204' <<<"$many"; then
  echo "the banner's many-apps lines did not work:"; cat "$tmp/many-apps.sh"; echo "$many"; exit 1
fi
curl -sf "http://127.0.0.1:$ops/metrics" >"$tmp/scrape.txt"
# The phone-quota series appear once the first reading is in (read at start-up from the simulator).
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$ops/metrics" >"$tmp/scrape.txt"
  grep -q '^wxsession_phone_quota_remaining{' "$tmp/scrape.txt" && break
  sleep 0.05
done
"$py" scripts/check-metrics.py "$tmp/scrape.txt" deploy/prometheus/alerts.yml \
  deploy/grafana/wxsession-dashboard.json k8s/base/prometheusrule.yaml

log "local cluster: redis, simulator, 3 replicas, nginx; one replica SIGKILLed mid-run"
WXSESSION_BIN=$bin scripts/local-cluster.sh --test
