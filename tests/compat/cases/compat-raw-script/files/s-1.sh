#!/bin/sh
# writes bytes no text has: NUL, 0xff, a lone CR
printf "a\000b\377c\rd" > "$1/binary"
case $0 in */s-1.sh) echo "sent as s-1.sh";; esac
case $2 in /*/s-1.sh) echo "its name in the arguments is the path too";; esac
