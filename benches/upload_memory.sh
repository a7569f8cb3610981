#!/usr/bin/env bash
# Server memory while hostile spreadsheets are uploaded (issue 12 item 1).
#
#   bash benches/upload_memory.sh        (from the repository root)
#
# 1. builds the release binary and starts `jicai serve --demo` on a new SQLite database in a
#    temporary directory, on 127.0.0.1:18090;
# 2. writes the hostile files with python3 (standard library only):
#      whole_sheet.xlsx  ~1 KB: cells A1 and XFD1048576 (used range 1,048,576 x 16,384);
#      zip_bomb.xlsx     a worksheet that unpacks to 256 MB of spaces (declared honestly);
#      zip_lie.xlsx      the same worksheet with a declared unpacked size of 1 KB (a lie);
#      near_empty.csv    10 MB: a header and ~3.5 million rows ",,";
#      oversize.csv      25 MB (over the 20 MB limit of one upload);
# 3. logs in as `institution` and `center`, opens a demand window (center), and uploads each
#    file 3 times to /demand/{id}/upload (institution) and to /import/drugs (center);
# 4. samples the server's VmRSS and VmHWM (peak) from /proc/PID/status before the first upload
#    and after each, and prints the status and the refusal of each upload.
#
# Raw outputs go to target/bench/upload_memory-<time>/. Overrides: BENCH_PORT (18090).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=${BENCH_PORT:-18090}
BASE="http://127.0.0.1:${PORT}"
require_repository_root
require_tools "" curl python3 cargo

bench_folders "target/bench/upload_memory"

build_release
JICAI="$PWD/target/release/jicai"

echo "== files"
python3 - "$TMP" <<'PY'
import sys, zipfile, struct
d = sys.argv[1]
CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WBRELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData>')
def book(path, sheet_chunks):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WBRELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=False) as f:
            for c in sheet_chunks():
                f.write(c)
def whole():
    yield (HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>drug_code</t></is></c></row>'
           '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>').encode()
def bomb():
    yield (HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row></sheetData>').encode()
    spaces = b" " * (1024 * 1024)
    for _ in range(256):
        yield spaces
    yield b"</worksheet>"
book(f"{d}/whole_sheet.xlsx", whole)
book(f"{d}/zip_bomb.xlsx", bomb)
# The same bomb, its directory entry declaring 1 KB unpacked.
b = bytearray(open(f"{d}/zip_bomb.xlsx", "rb").read())
name = b"xl/worksheets/sheet1.xml"
i = 0
while True:
    i = b.find(b"PK\x01\x02", i)
    if i < 0:
        break
    n = struct.unpack_from("<H", b, i + 28)[0]
    if bytes(b[i + 46:i + 46 + n]) == name:
        struct.pack_into("<I", b, i + 24, 1024)
    i += 4
open(f"{d}/zip_lie.xlsx", "wb").write(b)
with open(f"{d}/near_empty.csv", "wb") as f:
    f.write(b"institution_code,drug_code,quantity\n")
    f.write(b",,\n" * (10 * 1024 * 1024 // 3))
with open(f"{d}/oversize.csv", "wb") as f:
    f.write(b"drug_code,quantity\n")
    f.write(b"D0001,1\n" * (25 * 1024 * 1024 // 8))
PY
ls -l "$TMP"/*.xlsx "$TMP"/*.csv | awk '{print $5, $9}' | tee "$OUT/files.txt"

echo "== server"
export JICAI_DATABASE_URL="$TMP/jicai.db"
export JICAI_SECRET_FILE="$TMP/secret.key"
export JICAI_MASTER_KEY_FILE="$TMP/master.key"
export JICAI_MAIL_DIR="$TMP/mail"
export JICAI_BIND="127.0.0.1:${PORT}"
export RUST_LOG=${RUST_LOG:-warn}
"$JICAI" serve --demo >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited" >&2; cat "$OUT/server.log" >&2; exit 1; }
    sleep 0.5
done
curl -fs "$BASE/readyz" >/dev/null

csrf_of() { grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
login() { # jar user
    local t
    t=$(curl -fs -c "$1" -b "$1" "$BASE/login" | csrf_of)
    curl -s -o /dev/null -c "$1" -b "$1" --data-urlencode "username=$2" \
        --data-urlencode "password=jicai-demo" --data-urlencode "csrf=$t" "$BASE/login"
    curl -fs -c "$1" -b "$1" "$BASE/home" | csrf_of
}
CJ="$TMP/center.jar"; IJ="$TMP/inst.jar"
CT=$(login "$CJ" center)
IT=$(login "$IJ" institution)
closes=$(TZ=Asia/Shanghai date -d '+1 day' '+%Y-%m-%d %H:%M')
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -c "$CJ" -b "$CJ" --data-urlencode "title=bench window" \
    --data-urlencode "closes_at=$closes" --data-urlencode "csrf=$CT" "$BASE/demand")
W=${loc##*/}
[ -n "$W" ] || { echo "no demand window" >&2; exit 1; }

mem() { awk '/^(VmRSS|VmHWM):/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$SERVER_PID/status"; }
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER_PID/status"; }
RSS0=$(kb VmRSS); HWM0=$(kb VmHWM)
echo "before: $(mem)" | tee "$OUT/memory.txt"
upload() { # jar token path file
    local code
    code=$(curl -s -o "$TMP/resp.html" -w '%{http_code}' -b "$1" -F "file=@$4" "$BASE$3?csrf=$2")
    local why
    why=$(grep -o -E '(more than|larger than|declares|unpacks)[^<]*' "$TMP/resp.html" | head -1)
    printf '%-40s %-18s %s  %s | %s\n' "$3" "$(basename "$4")" "$code" "$why" "$(mem)" | tee -a "$OUT/memory.txt"
}
for round in 1 2 3; do
    for f in whole_sheet.xlsx zip_bomb.xlsx zip_lie.xlsx near_empty.csv oversize.csv; do
        upload "$IJ" "$IT" "/demand/$W/upload" "$TMP/$f"
        upload "$CJ" "$CT" "/import/drugs" "$TMP/$f"
    done
done
RSS1=$(kb VmRSS); HWM1=$(kb VmHWM)
echo "after:  $(mem)" | tee -a "$OUT/memory.txt"
echo "growth: peak (VmHWM) $(( (HWM1 - RSS0) / 1024 )) MB over the RSS before the first upload;" \
    "VmRSS $(( (RSS1 - RSS0) / 1024 )) MB; VmHWM before $(( HWM0 / 1024 )) MB" | tee -a "$OUT/memory.txt"
curl -fs "$BASE/readyz" >/dev/null && echo "server still answers /readyz" | tee -a "$OUT/memory.txt"
