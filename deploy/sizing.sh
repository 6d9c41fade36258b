#!/bin/bash
# deploy/sizing.sh: the measurements behind the Deployment's resources
# (README.md, "Deploy"). Runs bin/palette-worker -dev (in-process broker,
# file:// store) on COPIES copies of each photo of DIR, once per
# concurrency, on one core (taskset, GOMAXPROCS=1), and prints the peak RSS
# (/usr/bin/time -v) and the rate between the first and the last finished
# job. The in-process broker is in the process, so RSS and CPU are slight
# over-estimates of a worker against a real broker.
#   make build && deploy/sizing.sh [DIR] [COPIES] [CONCURRENCY...]
set -euo pipefail
dir=$(cd "${1:-../shared/bench/images}" && pwd)
copies=${2:-30}
shift $(($# > 2 ? 2 : $#))
concs=("${@:-1 2 4}")
bin=$(pwd)/bin/palette-worker
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/testdata/images"
echo "image,colors" >"$work/testdata/images/manifest.csv"
for f in "$dir"/*.jpg "$dir"/*.jpeg "$dir"/*.png; do
	[ -f "$f" ] || continue
	b=$(basename "${f%.*}")
	for i in $(seq 1 "$copies"); do
		cp "$f" "$work/testdata/images/${b}_$i.${f##*.}" # copies: file:// refuses symlinks
		echo "${b}_$i.${f##*.},Grey|Blue" >>"$work/testdata/images/manifest.csv"
	done
done
jobs=$(($(wc -l <"$work/testdata/images/manifest.csv") - 1))
for c in ${concs[*]}; do
	rm -rf "$work/out"
	log="$work/log-$c"
	(cd "$work" && GOMAXPROCS=1 exec taskset -c 0 /usr/bin/time -v "$bin" -dev -http 127.0.0.1:0 -concurrency "$c") >"$log" 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do grep -q "swatches in" "$log" && break; sleep 0.5; done
	pkill -INT -P "$pid" -x palette-worker || true
	wait "$pid" || true
	rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$log")
	rate=$(grep '"queue: job done"' "$log" | sed -E 's/.*"time":"([^"]+)".*/\1/' | sort |
		awk -v n="$jobs" 'NR==1{a=$0} {b=$0} END{
			split(a,x,"T"); split(b,y,"T"); split(x[2],p,":"); split(y[2],q,":");
			s=(q[1]*3600+q[2]*60+q[3])-(p[1]*3600+p[2]*60+p[3]); if (s>0) printf "%.0f", (n-1)/s; else print "?"}')
	echo "concurrency $c: $jobs jobs, $(grep -o '[0-9]* swatches in' "$log" | cut -d' ' -f1) swatches, peak RSS $((rss / 1024)) MiB, $rate jobs/s on one core"
done
