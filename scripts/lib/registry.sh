# Shell helpers for the demo and benchmarks: start Debian's docker-registry on loopback and
# push small, real (tar.gz layer) OCI images to it with curl. Source this file.

# start_registry DIR -> sets REGISTRY=127.0.0.1:PORT and REGISTRY_PID; stops it on exit.
start_registry() {
  local dir=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: gate-demo}
YAML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY=127.0.0.1:$port
  trap 'kill $REGISTRY_PID 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "docker-registry did not start; log:" >&2; cat "$dir/registry.log" >&2; return 1
}

_sha() { sha256sum "$1" | cut -d' ' -f1; }

# push_blob REPO FILE -> prints sha256:HEX
push_blob() {
  local repo=$1 file=$2 d loc
  d="sha256:$(_sha "$file")"
  if ! curl -fsS -o /dev/null -I "http://$REGISTRY/v2/$repo/blobs/$d" 2>/dev/null; then
    loc=$(curl -fsS -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    case "$loc" in http*) ;; *) loc="http://$REGISTRY$loc" ;; esac
    case "$loc" in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
    curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$loc" >/dev/null
  fi
  echo "$d"
}

# push_manifest REPO TAG FILE MEDIATYPE -> prints sha256:HEX
push_manifest() {
  curl -fsS -X PUT -H "Content-Type: $4" --data-binary "@$3" "http://$REGISTRY/v2/$1/manifests/$2" >/dev/null
  echo "sha256:$(_sha "$3")"
}

# push_image REPO TAG [ARCH] [CONTENT_DIR] -> prints the manifest digest. The layer is a
# reproducible tar.gz of CONTENT_DIR (default: one file naming the image).
push_image() {
  local repo=$1 tag=$2 arch=${3:-amd64} content=${4:-} work layer config manifest ld cd diff
  work=$(mktemp -d)
  if [ -z "$content" ]; then
    content=$work/rootfs; mkdir -p "$content/etc"
    printf 'gate example %s:%s %s\n' "$repo" "$tag" "$arch" >"$content/etc/gate-example"
  fi
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$content" -cf "$work/layer.tar" .
  diff="sha256:$(_sha "$work/layer.tar")"
  gzip -n -c "$work/layer.tar" >"$work/layer.tar.gz"
  layer=$work/layer.tar.gz
  printf '{"architecture":"%s","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{"Labels":{"org.opencontainers.image.title":"%s:%s"}}}' \
    "$arch" "$diff" "$repo" "$tag" >"$work/config.json"
  config=$work/config.json
  ld=$(push_blob "$repo" "$layer"); cd=$(push_blob "$repo" "$config")
  manifest=$work/manifest.json
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
    "$cd" "$(stat -c %s "$config")" "$ld" "$(stat -c %s "$layer")" >"$manifest"
  push_manifest "$repo" "$tag" "$manifest" application/vnd.oci.image.manifest.v1+json
  rm -rf "$work"
}

# push_index REPO TAG [CONTENT_DIR] -> pushes linux/amd64 and linux/arm64 images (of
# CONTENT_DIR, when given) and an index; prints its digest.
push_index() {
  local repo=$1 tag=$2 content=${3:-} work entries="" arch d size
  work=$(mktemp -d)
  for arch in amd64 arm64; do
    d=$(push_image "$repo" "$tag-$arch" "$arch" "$content")
    size=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/$repo/manifests/$d" | wc -c)
    entries="$entries${entries:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$d\",\"size\":$size,\"platform\":{\"os\":\"linux\",\"architecture\":\"$arch\"}}"
  done
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$entries" >"$work/index.json"
  push_manifest "$repo" "$tag" "$work/index.json" application/vnd.oci.image.index.v1+json
  rm -rf "$work"
}

# push_trivy_db REPO DIR -> pushes the Trivy DB artifact that `trivy_fixture db DIR` wrote
# (DIR/artifact/{config.json,db.tar.gz,manifest.json}) as REPO:2; prints its digest.
push_trivy_db() {
  local repo=$1 dir=$2/artifact
  push_blob "$repo" "$dir/config.json" >/dev/null
  push_blob "$repo" "$dir/db.tar.gz" >/dev/null
  push_manifest "$repo" 2 "$dir/manifest.json" application/vnd.oci.image.manifest.v1+json
}
