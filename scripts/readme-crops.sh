#!/usr/bin/env bash
# The picture for docs/small-output.md (issue 20): the same text crop at 400% (nearest neighbour) from
# (a) the original rendered by pdftoppm at 300 DPI, (b) pdfraster `--format jpeg` and (c) pdfraster
# `--format auto` at 300 DPI, the outputs rendered by pdftoppm the same way. Two rows: body text of
# tracemonkey.pdf page 1 (in gray, as the issue asks: black text) and a line of the generated colour
# manual with a blue link (in colour: the link's colour is the point).
#   npm run build && scripts/readme-crops.sh [out.png]     (default docs/img/small-output-crops.png)
# Needs node 24 on PATH, poppler-utils and imagemagick.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/img/small-output-crops.png}
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
font=DejaVu-Sans

node "$root/bench/documents.mjs" manual-colour 1 "$t/manual.pdf" >/dev/null

# row <name> <pdf> <gray|colour> <x> <y> <w> <h> <title>: crop box in 300 DPI pixels of page 1.
row() {
  local name=$1 pdf=$2 mode=$3 x=$4 y=$5 w=$6 h=$7 title=$8 tiles=()
  local colour=(); [ "$mode" = gray ] && colour=(-gray)
  for kind in original jpeg auto; do
    local src=$pdf label
    if [ "$kind" != original ]; then
      src="$t/$name-$kind.pdf"
      node "$root/dist/cli.js" "$pdf" "$src" --pages 1 --dpi 300 --format "$kind" --workers 1 --quiet
    fi
    pdftoppm -r 300 "${colour[@]}" -f 1 -l 1 -x "$x" -y "$y" -W "$w" -H "$h" -singlefile -png "$src" "$t/$name-$kind"
    case $kind in
      original) label="original (pdftoppm, 300 DPI)" ;;
      jpeg) label="--format jpeg: $(stat -c %s "$src" | numfmt --to=iec)B" ;;
      auto) label="--format auto: $(stat -c %s "$src" | numfmt --to=iec)B" ;;
    esac
    convert "$t/$name-$kind.png" -filter point -resize 400% -background white -font "$font" -pointsize 22 \
      -gravity north -splice 0x32 -annotate +0+4 "$label" -bordercolor white -border 8 -bordercolor gray70 -border 1 "$t/$name-$kind-tile.png"
    tiles+=("$t/$name-$kind-tile.png")
  done
  convert "${tiles[@]}" +append -background white -font "$font" -pointsize 24 -gravity northwest -splice 0x36 \
    -annotate +8+4 "$title" "$t/row-$name.png"
}

row tracemonkey "$root/../shared/corpus/pdfjs/tracemonkey.pdf" gray 365 1503 240 38 \
  "tracemonkey.pdf page 1 (1 page, 300 DPI), body text, 400%"
row manual "$t/manual.pdf" colour 1880 1464 240 40 \
  "generated colour manual page 1 (bench/documents.mjs manual-colour), black text and a blue link, 400%"
mkdir -p "$(dirname "$out")"
convert "$t/row-tracemonkey.png" "$t/row-manual.png" -background white -append -strip -dither None -colors 48 "PNG8:$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
