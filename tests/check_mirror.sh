#!/usr/bin/env bash
# Checks that the tests mirror the library sources (tests/README.md): every .cpp of common/, sim/,
# policy/ and pods/ has tests/<its folder>/test_<its name>.cpp or a row in the README's table,
# and every row names an existing source and an existing test file. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

readme=tests/README.md
status=0
# the table's rows: | `source` | `test file` | ...
rows=$(sed -n 's/^| `\([^`]*\)` | `\([^`]*\)` |.*/\1 \2/p' "$readme")
if [[ -z $rows ]]; then
  echo "check_mirror: no rows found in $readme" >&2
  exit 1
fi

while read -r source test; do
  [[ -f $source ]] || { echo "check_mirror: $readme names $source, which does not exist" >&2; status=1; }
  [[ -f $test ]] || { echo "check_mirror: $readme names $test (for $source), which does not exist" >&2; status=1; }
done <<<"$rows"

covered=0
while read -r source; do
  mirror=tests/$(dirname "$source")/test_$(basename "$source")
  if [[ -f $mirror ]]; then
    if grep -q "^| \`$source\` |" "$readme"; then
      echo "check_mirror: $source has $mirror and a row in $readme: drop the row" >&2
      status=1
    fi
  elif ! grep -q "^| \`$source\` |" "$readme"; then
    echo "check_mirror: $source has no test file $mirror and no row in $readme" >&2
    status=1
  fi
  covered=$((covered + 1))
done < <(find common sim policy pods -name '*.cpp' | sort)

((covered > 0)) || { echo "check_mirror: no library sources found" >&2; exit 1; }
((status == 0)) && echo "check_mirror: $covered library sources, each with a test file or a row in $readme"
exit "$status"
