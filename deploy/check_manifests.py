#!/usr/bin/env python3
"""Cross-reference checks for deploy/ that schema validation cannot make.

Schemas say each document is well formed; this says they fit together and keep the promises the
deploy README makes: the Deployment mounts the ConfigMap, Secret and PVC that exist, under the
keys and paths windowwatch reads; one replica with Recreate (one daemon per data folder); a
non-root, read-only container with probes on `windowwatch health`; the compose trial mails the
Mailpit service; the Containerfile is multi-stage, copies only files that exist, and ships the
CJK font and CA roots with a non-root user. Run by deploy/check.sh (needs PyYAML).
"""

import argparse
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
problems: list[str] = []


def need(cond: bool, what: str) -> None:
    if not cond:
        problems.append(what)


def load_k8s() -> dict:
    docs = {}
    for f in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for d in yaml.safe_load_all(f.read_text(encoding="utf-8")):
            if not d:
                continue
            need(isinstance(d, dict) and "kind" in d and "apiVersion" in d, f"{f.name}: a document without kind/apiVersion")
            kind = d.get("kind")
            if kind != "Kustomization":
                need(bool(d.get("metadata", {}).get("name")), f"{f.name}: {kind} without metadata.name")
            docs.setdefault(kind, []).append((f.name, d))
    return docs


def check_k8s(extract: Path | None) -> None:
    docs = load_k8s()
    for kind in ["Namespace", "PersistentVolumeClaim", "ConfigMap", "Secret", "Deployment", "Kustomization"]:
        need(len(docs.get(kind, [])) == 1, f"k8s: expected exactly one {kind}, found {len(docs.get(kind, []))}")
    if problems:
        return
    ns = docs["Namespace"][0][1]["metadata"]["name"]
    for kind, items in docs.items():
        if kind in ("Namespace", "Kustomization"):
            continue
        for f, d in items:
            need(d["metadata"].get("namespace") == ns, f"{f}: {kind} not in namespace {ns}")

    kust = docs["Kustomization"][0][1]
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    need(set(kust.get("resources", [])) == files, f"kustomization.yaml resources {kust.get('resources')} != files {sorted(files)}")

    cm = docs["ConfigMap"][0][1]
    secret = docs["Secret"][0][1]
    pvc = docs["PersistentVolumeClaim"][0][1]
    dep = docs["Deployment"][0][1]
    need("ReadWriteOnce" in pvc["spec"].get("accessModes", []), "pvc: the data folder must be ReadWriteOnce (one daemon)")

    spec = dep["spec"]
    need(spec.get("replicas") == 1, "deployment: replicas must be 1 (one daemon per data folder)")
    need(spec.get("strategy", {}).get("type") == "Recreate", "deployment: strategy must be Recreate (never two pods on the data folder)")
    sel = spec["selector"]["matchLabels"]
    labels = spec["template"]["metadata"]["labels"]
    need(all(labels.get(k) == v for k, v in sel.items()), "deployment: selector does not match the pod labels")
    pod = spec["template"]["spec"]
    need(pod.get("terminationGracePeriodSeconds", 30) >= 60, "deployment: terminationGracePeriodSeconds < 60 leaves a running job no time")
    psc = pod.get("securityContext", {})
    need(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, "deployment: the pod must run as non-root")
    need(psc.get("fsGroup") is not None, "deployment: fsGroup so the volume is writable by the user")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for name, v in volumes.items():
        if "configMap" in v:
            need(v["configMap"]["name"] == cm["metadata"]["name"], f"deployment: volume {name} names ConfigMap {v['configMap']['name']}, not {cm['metadata']['name']}")
        if "persistentVolumeClaim" in v:
            need(v["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"], f"deployment: volume {name} names a PVC that does not exist")
    containers = pod.get("containers", [])
    need(len(containers) == 1, "deployment: one container")
    c = containers[0]
    need(bool(c.get("image")), "deployment: container without image")
    sc = c.get("securityContext", {})
    need(sc.get("readOnlyRootFilesystem") is True, "deployment: readOnlyRootFilesystem")
    need(sc.get("allowPrivilegeEscalation") is False, "deployment: allowPrivilegeEscalation false")
    need("ALL" in sc.get("capabilities", {}).get("drop", []), "deployment: drop ALL capabilities")
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    for name in mounts:
        need(name in volumes, f"deployment: volumeMount {name} has no volume")
    env = {e["name"]: e for e in c.get("env", [])}
    cfg_path = env.get("WINDOWWATCH_CONFIG", {}).get("value", "")
    cfg_mount = next((m for n, m in mounts.items() if "configMap" in volumes.get(n, {})), None)
    need(cfg_mount is not None and cfg_path.startswith(cfg_mount["mountPath"] + "/"), "deployment: WINDOWWATCH_CONFIG is not inside the ConfigMap mount")
    key = cfg_path.rsplit("/", 1)[-1]
    need(key in cm.get("data", {}), f"configmap: no key {key} (WINDOWWATCH_CONFIG)")
    data_mount = next((m for n, m in mounts.items() if "persistentVolumeClaim" in volumes.get(n, {})), None)
    need(data_mount is not None, "deployment: the PVC is not mounted")
    for probe in ["startupProbe", "livenessProbe"]:
        cmd = c.get(probe, {}).get("exec", {}).get("command", [])
        need(cmd[:2] == ["windowwatch", "health"], f"deployment: {probe} should exec `windowwatch health`")
    if key in cm.get("data", {}):
        text = cm["data"][key]
        conf = tomllib.loads(text)
        need(data_mount is not None and conf.get("data_dir", "").startswith(data_mount["mountPath"]), "configmap: data_dir is not on the PVC")
        pw_env = conf.get("smtp", {}).get("password_env")
        if pw_env:
            ref = env.get(pw_env, {}).get("valueFrom", {}).get("secretKeyRef", {})
            need(ref.get("name") == secret["metadata"]["name"], f"deployment: {pw_env} must come from Secret {secret['metadata']['name']}")
            need(ref.get("key") in (secret.get("stringData") or secret.get("data") or {}), f"secret: no key {ref.get('key')}")
        if extract:
            extract.write_text(text, encoding="utf-8")


def check_compose() -> None:
    comp = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = comp.get("services", {})
    need({"windowwatch", "mailpit"} <= set(services), "compose: services windowwatch and mailpit")
    ww = services.get("windowwatch", {})
    build = ww.get("build", {})
    need((DEPLOY / build.get("context", ".") / build.get("dockerfile", "")).resolve().is_file(), "compose: build.dockerfile does not exist")
    need("axllent/mailpit" in services.get("mailpit", {}).get("image", ""), "compose: the SMTP catcher is Mailpit")
    conf_file = None
    for v in ww.get("volumes", []):
        src, dst = v.split(":")[:2]
        if src.startswith("."):
            need((DEPLOY / src).exists(), f"compose: bind mount source {src} does not exist")
            if dst == ww.get("environment", {}).get("WINDOWWATCH_CONFIG"):
                conf_file = DEPLOY / src
    need(conf_file is not None, "compose: WINDOWWATCH_CONFIG is not the mounted config")
    if conf_file and conf_file.exists():
        smtp = tomllib.loads(conf_file.read_text(encoding="utf-8")).get("smtp", {})
        need(smtp.get("host") == "mailpit" and smtp.get("port") == 1025, "compose: [smtp] must point at mailpit:1025")
    need("healthcheck" in ww, "compose: healthcheck on windowwatch")


def check_containerfile() -> None:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines() if line.strip() and not line.strip().startswith("#")]
    froms = [line for line in lines if line.upper().startswith("FROM ")]
    need(len(froms) >= 2, "Containerfile: multi-stage (a build stage and a runtime stage)")
    need(bool(froms) and "rust" in froms[0], "Containerfile: the build stage is a Rust image")
    need(bool(froms) and "slim" in froms[-1] and "debian" in froms[-1], "Containerfile: the runtime stage is debian-slim")
    runtime = lines[lines.index(froms[-1]):] if froms else []
    installs = " ".join(line for line in runtime if line.upper().startswith("RUN "))
    for pkg in ["fonts-wqy-microhei", "ca-certificates", "--no-install-recommends", "rm -rf /var/lib/apt/lists"]:
        need(pkg in installs, f"Containerfile: the runtime stage should have `{pkg}`")
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    need(bool(users) and users[-1].split(":")[0] not in ("0", "root"), "Containerfile: the runtime runs as a non-root USER")
    ignore = (DEPLOY / "Containerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = [p[1:].rstrip("*").rstrip("/") for p in ignore if p.startswith("!")]
    for line in lines:
        if line.upper().startswith("COPY ") and "--from=" not in line:
            parts = line.split()[1:]
            for src in parts[:-1]:
                need((ROOT / src).exists(), f"Containerfile: COPY source {src} does not exist")
                need(any(src.rstrip("/").startswith(a) for a in allowed), f"Containerfile: COPY source {src} is excluded by Containerfile.dockerignore")
    need(any(line.upper().startswith("ENTRYPOINT") and "windowwatch" in line for line in runtime), "Containerfile: ENTRYPOINT windowwatch")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extract", type=Path, help="write the ConfigMap's windowwatch.toml here")
    args = ap.parse_args()
    check_k8s(args.extract)
    check_compose()
    check_containerfile()
    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        return 1
    print("ok: k8s references, compose wiring, Containerfile stages and sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
