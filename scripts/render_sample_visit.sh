#!/usr/bin/env bash
# Render the shipped sample visit (scribe/samples/sample_visit_script.txt) to speech.
#
# Needs Debian's espeak-ng, sox and ffmpeg (libopus). One espeak-ng voice per role, 0.5 s of
# silence between turns, encoded as mono 16 kHz Ogg/Opus at 24 kbps. Also writes the reference
# timing of every turn to sample_visit_segments.json. Deterministic for the same tool versions.
#
# Usage: scripts/render_sample_visit.sh [output_dir]   (default: scribe/samples)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script="$here/scribe/samples/sample_visit_script.txt"
out_dir="${1:-$here/scribe/samples}"
clinician_voice="en-us"
patient_voice="en-us+f3"
words_per_minute=175
pause_seconds=0.5

for tool in espeak-ng sox soxi ffmpeg python3; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sox -R -n -r 16000 -c 1 -b 16 "$work/pause.wav" trim 0 "$pause_seconds"

parts=()
timing="$work/timing.tsv"
: >"$timing"
start=0
index=0
while IFS= read -r line || [[ -n "$line" ]]; do
    [[ -z "$line" ]] && continue
    role="${line%%:*}"
    text="${line#*: }"
    case "$role" in
        clinician) voice="$clinician_voice" ;;
        patient) voice="$patient_voice" ;;
        *) echo "unknown role in line: $line" >&2; exit 1 ;;
    esac
    raw="$work/raw_$(printf '%03d' "$index").wav"
    turn="$work/turn_$(printf '%03d' "$index").wav"
    espeak-ng -v "$voice" -s "$words_per_minute" -w "$raw" "$text"
    sox -R "$raw" -r 16000 -c 1 -b 16 "$turn"
    seconds="$(soxi -D "$turn")"
    end="$(python3 -c "print(round($start + $seconds, 3))")"
    printf '%s\t%s\t%s\t%s\n' "$role" "$start" "$end" "$text" >>"$timing"
    parts+=("$turn" "$work/pause.wav")
    start="$(python3 -c "print(round($end + $pause_seconds, 3))")"
    index=$((index + 1))
done <"$script"

sox -R "${parts[@]}" "$work/visit.wav"
ffmpeg -hide_banner -loglevel error -y -i "$work/visit.wav" -map_metadata -1 \
    -fflags +bitexact -flags:a +bitexact -ac 1 -ar 16000 -c:a libopus -b:a 24k \
    -application voip "$out_dir/sample_visit.opus"

python3 - "$timing" "$out_dir/sample_visit_segments.json" <<'PY'
import json
import sys

rows = []
with open(sys.argv[1], encoding="utf-8") as handle:
    for index, line in enumerate(handle):
        role, start, end, text = line.rstrip("\n").split("\t", 3)
        rows.append(
            {"id": index, "speaker": role, "start": float(start), "end": float(end), "text": text}
        )
with open(sys.argv[2], "w", encoding="utf-8") as handle:
    json.dump({"source": "sample_visit_script.txt", "segments": rows}, handle, indent=2)
    handle.write("\n")
PY

echo "wrote $out_dir/sample_visit.opus ($(stat -c %s "$out_dir/sample_visit.opus") bytes)" >&2
