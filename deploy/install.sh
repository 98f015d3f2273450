#!/usr/bin/env bash
# Installs Vigil on a server: `vigil` and `vigil-agent` built in release mode with the static Swift standard
# library (they need no Swift runtime on the machine), the systemd units, a `vigil` system user, and /etc/vigil
# with example configs. Nothing else: the default rules, runbooks and themes are inside the `vigil` binary.
#
#   sudo deploy/install.sh                              build, then install under /usr/local
#   PREFIX=/usr DESTDIR=/tmp/stage deploy/install.sh    stage into a directory (for a package); no user is created
#   VIGIL_BIN_DIR=/path/to/bin deploy/install.sh        install binaries built already (skip the build)
#   deploy/install.sh --agent-only                      only vigil-agent, its unit and /etc/vigil/agent.yaml
#
# Variables: PREFIX (/usr/local), DESTDIR (empty), SYSCONFDIR (/etc), UNITDIR (/etc/systemd/system),
# VIGIL_BIN_DIR (empty: build). Existing files under /etc/vigil are never overwritten.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-/etc/systemd/system}
agent_only=0
for arg in "$@"; do
    case "$arg" in
        --agent-only) agent_only=1 ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done

products=(vigil-agent)
[ "$agent_only" = 1 ] || products=(vigil vigil-agent)

bin=${VIGIL_BIN_DIR:-}
if [ -z "$bin" ]; then
    command -v swift >/dev/null || { echo "install.sh: swift is not on PATH (or set VIGIL_BIN_DIR to prebuilt binaries)" >&2; exit 1; }
    for p in "${products[@]}"; do
        echo "install.sh: building $p (release, static Swift standard library)"
        (cd "$root" && swift build -c release --static-swift-stdlib --product "$p")
    done
    bin=$(cd "$root" && swift build -c release --static-swift-stdlib --show-bin-path)
fi
for p in "${products[@]}"; do
    [ -x "$bin/$p" ] || { echo "install.sh: $bin/$p is missing or not executable" >&2; exit 1; }
done

say() { echo "install.sh: $*"; }

# Binaries.
install -d "$DESTDIR$PREFIX/bin"
for p in "${products[@]}"; do
    install -m 0755 "$bin/$p" "$DESTDIR$PREFIX/bin/$p"
    say "installed $DESTDIR$PREFIX/bin/$p"
done

# Units, pointing at this prefix.
install -d "$DESTDIR$UNITDIR"
units=(vigil-agent.service)
[ "$agent_only" = 1 ] || units=(vigil.service vigil-agent.service)
for u in "${units[@]}"; do
    sed "s#/usr/local/bin/#$PREFIX/bin/#g" "$root/deploy/$u" > "$DESTDIR$UNITDIR/$u"
    chmod 0644 "$DESTDIR$UNITDIR/$u"
    say "installed $DESTDIR$UNITDIR/$u"
done

# /etc/vigil: example configs, never overwriting what is there.
etc="$DESTDIR$SYSCONFDIR/vigil"
install -d -m 0755 "$etc"
put() { # put SOURCE NAME MODE
    if [ -e "$etc/$2" ]; then
        say "kept $etc/$2 (exists)"
    else
        install -m "$3" "$1" "$etc/$2"
        say "installed $etc/$2"
    fi
}
put "$root/deploy/agent.example.yaml" agent.yaml 0640
put "$root/deploy/agent.env.example" agent.env 0600
if [ "$agent_only" = 0 ]; then
    put "$root/deploy/vigil.env.example" vigil.env 0640
    # An example only: Vigil reads topology.yaml, which the operator writes (from this one, or from scratch).
    put "$root/deploy/topology.example.yaml" topology.example.yaml 0644
fi

# The system user the engine runs as (vigil.service: User=vigil, StateDirectory=vigil). The agent's unit uses
# DynamicUser. A staged install (DESTDIR) creates no user: the package's own scripts do.
if [ "$agent_only" = 0 ]; then
    if [ -n "$DESTDIR" ]; then
        say "DESTDIR set: not creating the 'vigil' system user (create it at package install: useradd --system vigil)"
    elif id vigil >/dev/null 2>&1; then
        say "user 'vigil' exists"
    elif [ "$(id -u)" = 0 ]; then
        useradd --system --user-group --home-dir /var/lib/vigil --no-create-home --shell /usr/sbin/nologin vigil
        say "created system user 'vigil'"
    else
        say "not root: create the 'vigil' system user yourself (useradd --system --user-group vigil)"
    fi
fi

if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload
    say "systemd reloaded; start with: systemctl enable --now ${units[*]%.service}"
else
    say "next: systemctl daemon-reload && systemctl enable --now ${units[*]%.service}"
fi
