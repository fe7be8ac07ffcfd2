# Shell helpers for the benchmarks with the real Trivy (scripts/bench-check,
# scripts/bench-trivy-levers): a loopback registry holding the fixture vulnerability DB (the
# air-gapped mirror) and N distinct small images with real Alpine, Debian and npm package
# databases. Source scripts/lib/registry.sh first.

# bench_setup WORK FIXTURE -> starts the registry, pushes the DB as $DB, writes the root file
# systems under WORK/rootfs.
bench_setup() {
  local work=$1 fixture=$2 k
  start_registry "$work/registry"
  "$fixture" db "$work/db"
  push_trivy_db gate/trivy-db "$work/db" >/dev/null
  DB=$REGISTRY/gate/trivy-db
  BENCH_KINDS=(alpine-vulnerable alpine-fixed debian-vulnerable npm-vulnerable)
  for k in "${BENCH_KINDS[@]}"; do "$fixture" rootfs "$k" "$work/rootfs/$k"; done
}

# push_bench_images WORK N -> pushes benchN/img1..N:1 (one file makes each digest distinct);
# sets BENCH_REFS (by tag) and BENCH_DIGESTS (by digest).
push_bench_images() {
  local work=$1 n=$2 i k c d
  BENCH_REFS=()
  BENCH_DIGESTS=()
  for i in $(seq 1 "$n"); do
    k=${BENCH_KINDS[$(((i - 1) % ${#BENCH_KINDS[@]}))]}
    c=$work/img/$n-$i
    mkdir -p "$c/etc"
    cp -r "$work/rootfs/$k/." "$c/"
    printf 'bench image %s of %s\n' "$i" "$n" >"$c/etc/bench-id"
    d=$(push_image "bench$n/img$i" 1 amd64 "$c")
    BENCH_REFS+=("$REGISTRY/bench$n/img$i:1")
    BENCH_DIGESTS+=("$REGISTRY/bench$n/img$i@$d")
  done
  rm -rf "$work/img"
}
