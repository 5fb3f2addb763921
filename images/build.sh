#!/usr/bin/env bash
# Builds Thaw's test and demo function images as OCI image layouts, without a container engine.
#
#   images/build.sh OUTDIR [examples] [runtimes]
#
# Writes OUTDIR/python, OUTDIR/static and OUTDIR/contract (the group "examples"), OUTDIR/node and
# OUTDIR/java (the group "runtimes"), or the groups named (default: both), each an OCI image
# layout directory (oci-layout, index.json, blobs/sha256/...) holding one linux/amd64 image of one
# gzip layer (java: Jib's four):
#   python  Debian's python3 packages (fetched with `apt-get download`, unpacked with
#           `dpkg-deb -x`, never installed on the host) and python/server.py, an HTTP server on
#           $PORT (8080) that answers GET with "hello from python" and echoes POST bodies.
#   static  busybox-static's httpd on port 8080: GET / answers "hello from busybox", POST
#           /cgi-bin/echo echoes the body.
#   contract  python's packages and contract/contract.py, which reports as JSON what it was started
#           with (environment, ids and groups, directory, argv, hostname, limits, stdout/stderr,
#           a random token); its config sets Entrypoint, Cmd, Env, WorkingDir /srv/work, the
#           named User fn (uid 1000, primary group 1000, supplementary group contract, 2000) and
#           the label dev.thaw.hooks.before-snapshot (see docs/function-contract.md).
#   node    Debian's nodejs packages (Debian's own version, whatever Node.js the host may have)
#           and node/server.js, an HTTP server on $PORT (8080) that loads its modules, builds an
#           index and warms its handler up at start (the work a snapshot saves), then answers GET
#           with "hello from node", echoes POST bodies and counts calls on /count.
#   java    java/, a Maven project (an HTTP function on the JDK's com.sun.net.httpserver that loads
#           its classes, builds an index and warms its handler up through the JIT at start), built
#           by Jib (jib-maven-plugin, no container engine) on a JRE base image made here from
#           Debian's openjdk-17-jre-headless packages; Jib's layers are kept as Jib made them.
# Layers are reproducible (sorted names, owner root, fixed times), so equal inputs give equal
# digests. Host tools: apt-get, dpkg-deb, tar, gzip, sha256sum, mvn (with Maven Central reachable
# or the Jib plugin in the local repository). Each image is written to a
# temporary directory and renamed into place when complete.
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh OUTDIR [examples] [runtimes]}")
shift
if [ $# -gt 0 ]; then groups=("$@"); else groups=(examples runtimes); fi
wanted() { [[ " ${groups[*]} " == *" $1 "* ]]; }
for g in "${groups[@]}"; do
  case "$g" in examples | runtimes) ;; *) echo "build.sh: no group $g" >&2; exit 2 ;; esac
done
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"  # apt-get download drops to the _apt user
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# users ROOT: the root and nobody users and groups of an image.
users() {
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$1/etc/group"
}

# debian_version PACKAGE: the version Debian's archive has of PACKAGE (the host may have another,
# newer one from elsewhere, as it may have another nodejs).
debian_version() {
  apt-cache madison "$1" | awk -F'|' '$3 ~ /debian\.org/ {gsub(/ /, "", $2); print $2; exit}'
}

# debian_root NAME PACKAGE...: downloads each PACKAGE at the version Debian's archive has and
# unpacks them all, without their documentation, into $work/NAME.root, with a /tmp for anyone and
# users().
debian_root() {
  local name=$1 p version deb pinned=()
  shift
  local debs=$work/$name.debs root=$work/$name.root
  for p in "$@"; do
    version=$(debian_version "$p")
    if [ -z "$version" ]; then
      echo "build.sh: Debian's archive has no $p; run 'apt-get update' first" >&2
      exit 1
    fi
    pinned+=("$p=$version")
  done
  mkdir -p "$debs" "$root"/{tmp,etc}
  (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "${pinned[@]}" >&2)
  for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$root"
  done
  rm -rf "$root"/usr/share/{doc,man,lintian}
  chmod 1777 "$root/tmp"
  users "$root"
}

# oci_layout NAME ROOTFS CONFIG: writes OUTDIR/NAME from the directory ROOTFS as one layer, with
# CONFIG (the JSON of the image config's "config" object).
oci_layout() {
  local name=$1 rootfs=$2 config=$3 dir="$work/$1.layout"
  mkdir -p "$dir/blobs/sha256"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 \
    -C "$rootfs" -cf "$work/$name.tar" .
  local diff_id; diff_id=$(sha "$work/$name.tar")
  gzip -n -6 -c "$work/$name.tar" > "$work/$name.tar.gz"
  local layer; layer=$(sha "$work/$name.tar.gz")
  local layer_size; layer_size=$(stat -c %s "$work/$name.tar.gz")
  mv "$work/$name.tar.gz" "$dir/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$config" "$diff_id" > "$work/$name.config"
  local cfg; cfg=$(sha "$work/$name.config")
  local cfg_size; cfg_size=$(stat -c %s "$work/$name.config")
  mv "$work/$name.config" "$dir/blobs/sha256/$cfg"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$cfg" "$cfg_size" "$layer" "$layer_size" > "$work/$name.manifest"
  local manifest; manifest=$(sha "$work/$name.manifest")
  local manifest_size; manifest_size=$(stat -c %s "$work/$name.manifest")
  mv "$work/$name.manifest" "$dir/blobs/sha256/$manifest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "$name" > "$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  rm -f "$work/$name.tar"
  rm -rf "${out:?}/$name"
  mv "$dir" "$out/$name"
  echo "build.sh: $name sha256:$manifest ($(du -sh "$out/$name" | cut -f1))" >&2
}

examples() {
# The Python interpreter and the libraries its standard library loads.
py=$(apt-cache depends python3-minimal 2>/dev/null | awk '/PreDepends: python3\.[0-9]+-minimal/ {print $2; exit}')
if [ -z "$py" ]; then
  echo "build.sh: cannot resolve the python3 package; run 'apt-get update' first" >&2
  exit 1
fi
v=${py#python}; v=${v%-minimal}
packages=(python3-minimal "python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib"
  libc6 libgcc-s1 libexpat1 zlib1g libssl3 libffi8 libbz2-1.0 liblzma5 libcrypt1 libuuid1
  busybox-static)
cd "$work"
apt-get download -q -o APT::Sandbox::User=root "${packages[@]}" >&2

root=$work/python.root
mkdir -p "$root"/{app,tmp,etc}
for deb in ./*.deb; do
  case "$deb" in *busybox-static*) continue ;; esac
  dpkg-deb -x "$deb" "$root"
done
rm -rf "$root"/usr/share/{doc,man,lintian}
chmod 1777 "$root/tmp"
cp "$here/python/server.py" "$root/app/server.py"
users "$root"
oci_layout python "$root" "$(printf '{"Entrypoint":["/usr/bin/python%s","/app/server.py"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","PORT=8080","PYTHONUNBUFFERED=1","PYTHONDONTWRITEBYTECODE=1"],"WorkingDir":"/app","ExposedPorts":{"8080/tcp":{}}}' "$v")"

root=$work/contract.root
cp -a "$work/python.root" "$root"
rm "$root/app/server.py"
cp "$here/contract/contract.py" "$root/app/contract.py"
mkdir -p "$root/srv/work" "$root/home/fn"
printf 'root:x:0:0:root:/root:/bin/sh\nfn:x:1000:1000:contract function:/home/fn:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nfn:x:1000:\ncontract:x:2000:fn\nnogroup:x:65534:\n' > "$root/etc/group"
oci_layout contract "$root" '{"Entrypoint":["/usr/bin/python3","/app/contract.py"],"Cmd":["--from-image"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","PORT=8080","PYTHONUNBUFFERED=1","PYTHONDONTWRITEBYTECODE=1","CONTRACT_A=image-a","CONTRACT_B=image-b"],"WorkingDir":"/srv/work","User":"fn","ExposedPorts":{"8080/tcp":{}},"Labels":{"dev.thaw.hooks.before-snapshot":"/before-snapshot","org.opencontainers.image.title":"thaw-contract"}}'

root=$work/static.root
mkdir -p "$root"/{bin,www/cgi-bin,tmp}
dpkg-deb -x busybox-static_*.deb "$work/busybox"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
chmod 1777 "$root/tmp"
echo "hello from busybox" > "$root/www/index.html"
cat > "$root/www/cgi-bin/echo" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
exec /bin/busybox head -c "${CONTENT_LENGTH:-0}"
CGI
chmod 755 "$root/www/cgi-bin/echo"
oci_layout static "$root" '{"Entrypoint":["/bin/busybox","httpd","-f","-p","8080","-h","/www"],"Env":["PATH=/bin"],"WorkingDir":"/www","ExposedPorts":{"8080/tcp":{}}}'
}

runtimes() {
# Node.js from Debian's archive, whatever nodejs the host may have.
debian_root node nodejs libnode108 libc6 libgcc-s1 libstdc++6 libc-ares2 libnghttp2-14 libbrotli1 \
  libicu72 libuv1 libssl3 zlib1g node-acorn node-xtend node-cjs-module-lexer node-undici node-busboy
root=$work/node.root
mkdir -p "$root/app"
cp "$here/node/server.js" "$root/app/server.js"
oci_layout node "$root" '{"Entrypoint":["/usr/bin/node","/app/server.js"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","PORT=8080","NODE_ENV=production"],"WorkingDir":"/app","ExposedPorts":{"8080/tcp":{}}}'

# A JRE base image from Debian's openjdk-17-jre-headless and the libraries the JVM loads, as an
# image tarball (`docker save` format) for Jib's tar:// base.
debian_root jre openjdk-17-jre-headless libc6 libgcc-s1 libstdc++6 zlib1g
root=$work/jre.root
mkdir -p "$root/usr/bin"
ln -s /usr/lib/jvm/java-17-openjdk-amd64/bin/java "$root/usr/bin/java"
mkdir -p "$work/jre.tar.d"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 \
  -C "$root" -cf "$work/jre.tar.d/layer.tar" .
jre_diff=$(sha "$work/jre.tar.d/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin","JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$jre_diff" > "$work/jre.tar.d/config.json"
printf '[{"Config":"config.json","RepoTags":["thaw-examples/jre:17"],"Layers":["layer.tar"]}]' \
  > "$work/jre.tar.d/manifest.json"
tar -C "$work/jre.tar.d" -cf "$work/jre.tar" manifest.json config.json layer.tar
rm -rf "$work/jre.tar.d" "$root"

# The function, built by Jib into an OCI image tarball, unpacked into a layout.
cp -r "$here/java" "$work/java.src"
(cd "$work/java.src" && mvn -B -q -Dstyle.color=never package jib:buildTar \
  -Djib.from.image="tar://$work/jre.tar" -Djib.outputPaths.tar="$work/java.tar" \
  -Djib.outputPaths.digest="$work/java.digest" -Djib.outputPaths.imageId="$work/java.id" \
  -Djib.outputPaths.imageJson="$work/java.json" >&2)
mkdir -p "$work/java.layout"
tar -C "$work/java.layout" -xf "$work/java.tar"
if [ ! -f "$work/java.layout/index.json" ]; then
  echo "build.sh: Jib's tarball is not an OCI image layout" >&2
  exit 1
fi
rm -rf "${out:?}/java"
mv "$work/java.layout" "$out/java"
echo "build.sh: java $(cat "$work/java.digest") ($(du -sh "$out/java" | cut -f1))" >&2
}

if wanted examples; then examples; fi
if wanted runtimes; then runtimes; fi
