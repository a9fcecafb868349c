#!/bin/bash
# A corpus sample (fonts, Type3, PostScript functions, JPX, JBIG2, CCITT, CMYK, passwords, a bomb) through
# the CLI with --sandbox auto and off: the exit codes and output bytes must match. Build first.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
C="$ROOT/../shared/corpus/pdfjs"; O="$(mktemp -d)"; trap 'rm -rf "$O"' EXIT
declare -A PW=([issue3371.pdf]=ELXRTQWS [issue6010_2.pdf]=æøå)
same=0; diff=0
for f in type4psfunc.pdf issue5421.pdf ArabicCIDTrueType.pdf XiaoBiaoSong.pdf noembed-eucjp.pdf cmykjpeg.pdf jpx_smaskindata.pdf bitmap-symbol-refine.pdf issue3371.pdf issue6010_2.pdf bug1815476.pdf franz.pdf issue4800.pdf bomb_giant.pdf xfa_issue14315.pdf radial_gradients.pdf; do
  pw=${PW[$f]}; extra=(); [ -n "$pw" ] && extra=(--password "$pw")
  line="$f:"
  for m in auto off; do
    timeout 180 node "$ROOT/dist/cli.js" $C/$f $O/$f.$m.pdf --dpi 36 --workers 1 --on-error blank --page-timeout 60 --quiet "${extra[@]}" 2>$O/$f.$m.err; code=$?
    sum=$( [ -f $O/$f.$m.pdf ] && sha256sum < $O/$f.$m.pdf | cut -c1-12 || echo none)
    line="$line $m exit $code $sum;"
    eval "c_$m=$code s_$m=$sum"
  done
  if [ "$c_auto" = "$c_off" ] && [ "$s_auto" = "$s_off" ]; then same=$((same+1)); else diff=$((diff+1)); line="$line DIFFERENT"; fi
  echo "$line"
done
echo "same: $same, different: $diff"
[ "$diff" -eq 0 ]
