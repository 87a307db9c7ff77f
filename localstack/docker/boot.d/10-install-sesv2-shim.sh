#!/bin/bash
# LocalStack BOOT hook for docker-compose.yml: runs inside the localstack/localstack
# container before LocalStack starts and registers the local-only SES v2 shim
# (mounted read-only at /opt/portale/sesv2_shim) in the image's venv -- without pip
# or network: a .pth file puts the shim on sys.path, a minimal .dist-info carries
# the entry point read from the shim's own pyproject.toml. Idempotent.
# LOCALSTACK_PYTHON / SESV2_SHIM_DIR override the container paths (for testing).
set -euo pipefail
PY="${LOCALSTACK_PYTHON:-/opt/code/localstack/.venv/bin/python}"
SHIM="${SESV2_SHIM_DIR:-/opt/portale/sesv2_shim}"
"$PY" - "$SHIM" <<'PYEOF'
import pathlib, sys, sysconfig, tomllib
shim = pathlib.Path(sys.argv[1])
project = tomllib.loads((shim / "pyproject.toml").read_text())["project"]
site = pathlib.Path(sysconfig.get_paths()["purelib"])
(site / "localstack_sesv2_shim.pth").write_text(f"{shim}\n")
dist = site / f"localstack_sesv2_shim-{project['version']}.dist-info"
dist.mkdir(exist_ok=True)
(dist / "METADATA").write_text(
    f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
lines = []
for group, eps in project["entry-points"].items():
    lines.append(f"[{group}]")
    lines += [f"{name} = {value}" for name, value in eps.items()]
(dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
print(f"sesv2 shim registered from {shim} in {site}")
PYEOF
