# Shared helpers for install/run, install/test and the conformance runner. Source it; do not run it.
# Expects: set -euo pipefail in the caller.

JFORK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages that provide everything Jupyter-side (the tests use the same set).
JFORK_APT_PACKAGES=(python3-jupyter-client python3-nbclient python3-jupyter-kernel-test python3-ipykernel
                    jupyter-client jupyter-nbconvert jupyter-notebook jupyter-server)

# The java binary to use: $JFORK_JAVA_HOME, else $JAVA_HOME, else `java` on PATH (resolved).
# Sets JAVA_BIN (absolute) and exports JAVA_HOME so that mvn builds with the same JDK.
find_java() {
    local home=""
    if [[ -n "${JFORK_JAVA_HOME:-}" ]]; then
        home="$JFORK_JAVA_HOME"
        [[ -x "$home/bin/java" ]] || die "JFORK_JAVA_HOME=$home has no bin/java"
    elif [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
        home="$JAVA_HOME"
    else
        local onpath
        onpath="$(command -v java || true)"
        [[ -n "$onpath" ]] || die "no java found: install a JDK >= 17 (e.g. apt-get install openjdk-17-jdk) or set JFORK_JAVA_HOME"
        home="$(dirname "$(dirname "$(readlink -f "$onpath")")")"
    fi
    JAVA_BIN="$(readlink -f "$home/bin/java")"
    export JAVA_HOME="$home"
    local version major
    version="$("$JAVA_BIN" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
    major="${version%%.*}"
    [[ "$major" == "1" ]] && major="$(echo "$version" | cut -d. -f2)"
    [[ "$major" =~ ^[0-9]+$ ]] || die "cannot read the Java version of $JAVA_BIN (got '$version')"
    (( major >= 17 )) || die "$JAVA_BIN is Java $version; jfork needs Java 17 or newer (set JFORK_JAVA_HOME)"
    [[ -x "$home/bin/javac" ]] || die "$home is a JRE without javac; jfork needs a full JDK"
    JAVA_MAJOR="$major"
}

find_mvn() {
    command -v mvn >/dev/null || die "mvn not found: install Maven 3.8+ (e.g. apt-get install maven)"
}

# A Python that can import all the given modules: $JFORK_PYTHON, /usr/bin/python3, then python3/python
# on PATH. Never just "the first python3 on PATH": it may be a pyenv/conda build without Jupyter.
# Prints the interpreter path, or nothing.
find_python() {
    local imports="${1:-jupyter_client}" c p
    for c in "${JFORK_PYTHON:-}" /usr/bin/python3 python3 python; do
        [[ -n "$c" ]] || continue
        p="$(command -v "$c" 2>/dev/null || true)"
        [[ -n "$p" ]] || continue
        if "$p" -c "import ${imports}" >/dev/null 2>&1; then
            # Resolve pyenv shims etc. to the real interpreter.
            "$p" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    return 0
}

# Prefix for root commands: empty when root, "sudo" when available, else fails.
root_prefix() {
    if [[ "$(id -u)" == "0" ]]; then
        echo ""
    elif command -v sudo >/dev/null; then
        echo "sudo"
    else
        return 1
    fi
}

# Installs Debian packages (apt-get) or Python packages (pip --user) so that `import $1` works.
# $2: pip packages for the fallback route. Echoes nothing; call find_python afterwards.
ensure_python_modules() {
    local imports="$1" pip_pkgs="$2" prefix
    if [[ -n "$(find_python "$imports")" ]]; then
        return 0
    fi
    say "no Python here can 'import ${imports}': installing Jupyter"
    if command -v apt-get >/dev/null && prefix="$(root_prefix)"; then
        say "using apt-get (Debian packages: ${JFORK_APT_PACKAGES[*]})"
        if $prefix env DEBIAN_FRONTEND=noninteractive apt-get update \
           && $prefix env DEBIAN_FRONTEND=noninteractive apt-get install -y "${JFORK_APT_PACKAGES[@]}"; then
            [[ -n "$(find_python "$imports")" ]] && return 0
            say "apt-get succeeded but /usr/bin/python3 still cannot 'import ${imports}'; trying pip"
        else
            say "apt-get failed; trying pip"
        fi
    fi
    local c p
    for c in "${JFORK_PYTHON:-}" python3 /usr/bin/python3; do
        [[ -n "$c" ]] || continue
        p="$(command -v "$c" 2>/dev/null || true)"
        [[ -n "$p" ]] || continue
        say "running: $p -m pip install --user ${pip_pkgs}"
        # shellcheck disable=SC2086
        if "$p" -m pip install --user $pip_pkgs; then
            export PATH="$HOME/.local/bin:$PATH"
            [[ -n "$(find_python "$imports")" ]] && return 0
        fi
    done
    die "could not install Jupyter. Install it yourself (e.g. 'python3 -m pip install --user jupyterlab', or a venv), then point JFORK_PYTHON at that Python"
}

# apt-get install, as root or through sudo, after an update. Fails (returns 1) without apt-get or root.
apt_install() {
    local prefix
    command -v apt-get >/dev/null && prefix="$(root_prefix)" || return 1
    say "running: apt-get install -y $*"
    $prefix env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && $prefix env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# The client tests (kernel/src/test/js) need Node.js >= 18 with npm: puppeteer-core 24's minimum.
node_ok() {
    command -v node >/dev/null && command -v npm >/dev/null \
        && (( $(node -p 'process.versions.node.split(".")[0]') >= 18 ))
}

ensure_node() {
    node_ok && return 0
    say "no Node.js >= 18 with npm here: installing Debian's nodejs and npm"
    apt_install nodejs npm || die "could not install Node.js: install Node.js 20 and npm yourself"
    node_ok || die "Node.js >= 18 with npm is still missing after apt-get; install Node.js 20 yourself"
}

# Chromium for the browser test: $JFORK_CHROMIUM, else chromium or chromium-browser on PATH.
# Prints its path, or nothing.
find_chromium() {
    local c p
    for c in "${JFORK_CHROMIUM:-}" chromium chromium-browser; do
        [[ -n "$c" ]] || continue
        p="$(command -v "$c" 2>/dev/null || true)"
        [[ -n "$p" ]] && { echo "$p"; return 0; }
    done
    return 0
}

# Installs Debian's chromium if there is none. Without apt-get (or root) it only says that the
# browser test will be skipped.
ensure_chromium() {
    [[ -n "$(find_chromium)" ]] && return 0
    say "no Chromium here: installing Debian's chromium for the browser test"
    if ! apt_install chromium || [[ -z "$(find_chromium)" ]]; then
        say "could not install Chromium (no apt-get or no root): the browser test will be SKIPPED"
    fi
}

# npm ci in $1, unless the package-lock.json there is the one of the last successful npm ci
# (npm ci always deletes node_modules and reinstalls, which takes a while).
ensure_npm_deps() {
    local dir="$1" stamp want
    stamp="$dir/node_modules/.jfork-package-lock.sha256"
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [[ "$(cat "$stamp" 2>/dev/null || true)" == "$want" ]]; then
        say "Node packages in $dir already installed (package-lock.json unchanged)"
        return 0
    fi
    say "installing the Node packages of $dir: npm ci"
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$want" >"$stamp"
}
